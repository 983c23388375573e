package server

// TLSMetrics is what the certificate sources report to /metrics, read at
// each scrape through the func given to Main.reportTLS. Until a source is
// wired there is none, and warren_tls_certificates and
// warren_acme_obtain_total have no series. Label values must come from
// small fixed sets: never a domain name (custom domains are unbounded).
type TLSMetrics struct {
	// Certificates are the certificates held now.
	Certificates []CertificateCount
	// Obtains are the ACME obtain attempts since start.
	Obtains []ObtainCount
}

// CertificateCount is how many certificates of one source ("files",
// "acme") are in one status ("valid", "expiring", "expired", "missing").
type CertificateCount struct {
	Source, Status string
	Count          int
}

// ObtainCount is how many ACME obtains with one challenge ("http-01",
// "tls-alpn-01", "dns-01") ended with one result ("ok", "error").
type ObtainCount struct {
	Challenge, Result string
	Count             uint64
}

// certificates sums the counts by (source, status): a series reported twice
// would fail the whole scrape.
func (t TLSMetrics) certificates() map[[2]string]int {
	out := map[[2]string]int{}
	for _, c := range t.Certificates {
		out[[2]string{c.Source, c.Status}] += c.Count
	}
	return out
}

// obtains sums the counts by (challenge, result).
func (t TLSMetrics) obtains() map[[2]string]uint64 {
	out := map[[2]string]uint64{}
	for _, o := range t.Obtains {
		out[[2]string{o.Challenge, o.Result}] += o.Count
	}
	return out
}
