package certs

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/caddyserver/certmagic"
	"go.uber.org/zap"

	"warren/domain"
)

// LetsEncrypt is the default ACME directory: Let's Encrypt's production.
const LetsEncrypt = certmagic.LetsEncryptProductionCA

// Options configure an ACME source.
type Options struct {
	Domain string // base domain; its certificate and api.<Domain>'s are obtained at start
	Email  string // ACME account contact
	CA     string // ACME directory URL ("": LetsEncrypt)
	// CARoots, when set, is the only set of roots trusted for the ACME
	// server's own TLS (a private CA such as a test pebble).
	CARoots *x509.CertPool
	// Dir holds certificates, keys and ACME accounts; created 0700.
	Dir string
	// Decide says whether a name outside the managed set may get a
	// certificate at its first handshake; nil refuses every such name.
	// It is called before any ACME request (see Decider).
	Decide func(ctx context.Context, name string) error
	// DNS, when set, solves DNS-01, and the wildcard *.<Domain> is
	// obtained at start beside the base and API names.
	DNS certmagic.DNSProvider
	// DNSResolvers are the resolvers DNS-01 asks for the zone and the
	// propagation check ("": the system's).
	DNSResolvers []string
	// DNSPropagationTimeout bounds the wait for the TXT record to show on
	// the zone's authoritative servers (0: certmagic's 2 minutes; negative:
	// no wait, the CA's lookup is the only check).
	DNSPropagationTimeout time.Duration
	// ListenHost, HTTPPort and TLSPort are where the server's own plain
	// and TLS listeners are (0: 80 and 443). certmagic then finds them
	// taken and leaves the challenges to HTTPChallenge and TLSConfig.
	ListenHost        string
	HTTPPort, TLSPort int
	// RenewalWindowRatio is the share of a certificate's life left when it
	// is renewed (0: certmagic's third). RenewCheckInterval is how often
	// the cache looks (0: certmagic's 10 minutes). Tests shorten both.
	RenewalWindowRatio float64
	RenewCheckInterval time.Duration
	// OnDemandTimeout bounds an order made inside a handshake, and the wait
	// of the handshakes for the same name behind it (0: 30 s). A failed
	// order is not retried inside the handshake: the name waits (backoff).
	OnDemandTimeout time.Duration
	Logger          *slog.Logger
}

// ACME is a certificate source backed by certmagic. It implements the
// server's CertSource.
type ACME struct {
	domain string
	names  []string
	cache  *certmagic.Cache
	static *certmagic.Config // the names obtained at start
	cfg    *certmagic.Config // on demand; answers every handshake
	issuer *certmagic.ACMEIssuer
	ctx    context.Context // ends at Close: obtains in flight stop
	// backoff refuses on-demand names that failed lately.
	backoff         *backoff
	tally           *tally // for Stats
	onDemandTimeout time.Duration
	stop            context.CancelFunc
}

// NewACME builds the source for the base domain, the API host and, with a
// DNS provider, the wildcard; Start begins obtaining them. Handshakes for
// other names are decided by o.Decide from the first one on. Errors are
// CodeInvalid for missing options, CodeInternal for the storage.
func NewACME(o Options) (*ACME, error) {
	if o.Domain == "" || o.Dir == "" {
		return nil, domain.Errorf(domain.CodeInvalid, "acme: a domain and a data directory are required")
	}
	if o.Email == "" {
		return nil, domain.Errorf(domain.CodeInvalid, "acme: an account email is required (--acme-email)")
	}
	// Let's Encrypt never signs localhost, .local, .internal or private
	// addresses: say so now rather than in a retry loop. A private CA may.
	if (o.CA == "" || o.CA == LetsEncrypt || o.CA == certmagic.LetsEncryptStagingCA) && !certmagic.SubjectQualifiesForPublicCert(o.Domain) {
		return nil, domain.Errorf(domain.CodeInvalid, "acme: Let's Encrypt signs no certificate for %q (localhost, .local, .internal or a private address): set --domain to a public name, or --acme-ca to a private CA", o.Domain)
	}
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return nil, domain.Errorf(domain.CodeInternal, "acme: certificate storage: %v", err)
	}
	// MkdirAll leaves an existing directory's mode alone: keys live here.
	if err := os.Chmod(o.Dir, 0o700); err != nil {
		return nil, domain.Errorf(domain.CodeInternal, "acme: certificate storage: %v", err)
	}
	a := &ACME{domain: strings.ToLower(o.Domain), onDemandTimeout: o.OnDemandTimeout}
	if a.onDemandTimeout <= 0 {
		a.onDemandTimeout = 30 * time.Second
	}
	a.names = []string{a.domain, "api." + a.domain}
	if o.DNS != nil {
		a.names = append(a.names, "*."+a.domain)
	}
	zl := newZapLogger(o.Logger)
	decide := o.Decide
	if decide == nil {
		decide = func(context.Context, string) error {
			return domain.Errorf(domain.CodeForbidden, "no certificates on demand")
		}
	}
	// Our own names are managed, never decided: they are in the cache or
	// being obtained; on demand is only for the rest.
	a.backoff = newBackoff(nil)
	ondemand := func(ctx context.Context, name string) error {
		if a.managed(name) {
			return nil
		}
		name = strings.ToLower(name)
		if err := a.backoff.check(name); err != nil {
			return err
		}
		return decide(ctx, name)
	}
	// Two configs on one cache and one storage: certmagic defers every name
	// of a config with OnDemand to its first handshake, and ours must be
	// obtained at start. The on-demand one answers every handshake (the
	// cache is shared, so it serves ours too) and decides about the rest.
	a.cache = certmagic.NewCache(certmagic.CacheOptions{
		GetConfigForCert: func(c certmagic.Certificate) (*certmagic.Config, error) {
			for _, n := range c.Names {
				if a.managed(n) {
					return a.static, nil
				}
			}
			return a.cfg, nil
		},
		RenewCheckInterval: o.RenewCheckInterval,
		Logger:             zl,
	})
	storage := newDirStorage(filepath.Clean(o.Dir))
	// With a DNS solver certmagic uses DNS-01 alone, and a custom domain's
	// zone is not ours to write: on-demand names are validated over HTTP-01
	// or TLS-ALPN-01, whatever the start-up names use.
	a.static = a.newConfig(o, storage, nil, zl)
	od := o
	od.DNS = nil
	a.cfg = a.newConfig(od, storage, &certmagic.OnDemandConfig{DecisionFunc: ondemand}, zl)
	a.tally = newTally()
	a.static.OnEvent, a.static.ShouldEmitFunc = a.onEvent(o.DNS != nil, false), emits
	a.cfg.OnEvent, a.cfg.ShouldEmitFunc = a.onEvent(false, true), emits
	a.issuer = a.cfg.Issuers[0].(*certmagic.ACMEIssuer)
	a.ctx, a.stop = context.WithCancel(context.Background())
	return a, nil
}

// Start loads the managed certificates from storage or obtains them in
// the background (Ready says when the base one is in). Call it once the
// server's challenge listeners are bound: certmagic serves a challenge
// port itself when it finds it free. Errors are CodeInternal.
func (a *ACME) Start() error {
	if err := a.static.ManageAsync(a.ctx, a.names); err != nil {
		return domain.Errorf(domain.CodeInternal, "acme: %v", err)
	}
	return nil
}

// newConfig is one certmagic config with its own ACME issuer.
func (a *ACME) newConfig(o Options, storage certmagic.Storage, od *certmagic.OnDemandConfig, zl *zap.Logger) *certmagic.Config {
	cfg := certmagic.New(a.cache, certmagic.Config{
		Storage:            storage,
		RenewalWindowRatio: o.RenewalWindowRatio,
		OnDemand:           od,
		// No OCSP round trips from a handshake; Let's Encrypt has ended OCSP.
		OCSP:   certmagic.OCSPConfig{DisableStapling: true},
		Logger: zl,
	})
	tmpl := certmagic.ACMEIssuer{
		CA:             o.CA,
		Email:          o.Email,
		Agreed:         true,
		TrustedRoots:   o.CARoots,
		ListenHost:     o.ListenHost,
		AltHTTPPort:    o.HTTPPort,
		AltTLSALPNPort: o.TLSPort,
		Logger:         zl,
	}
	if tmpl.CA == "" {
		tmpl.CA = LetsEncrypt
	}
	if o.DNS != nil {
		tmpl.DNS01Solver = &certmagic.DNS01Solver{DNSManager: certmagic.DNSManager{
			DNSProvider:        o.DNS,
			Resolvers:          o.DNSResolvers,
			PropagationTimeout: o.DNSPropagationTimeout,
			Logger:             zl,
		}}
	}
	cfg.Issuers = []certmagic.Issuer{certmagic.NewACMEIssuer(cfg, tmpl)}
	return cfg
}

// managed: name is one of those obtained at start.
func (a *ACME) managed(name string) bool {
	for _, n := range a.names {
		if strings.EqualFold(n, name) {
			return true
		}
	}
	return false
}

// TLSConfig answers handshakes from the cache, obtains on demand what the
// decision allows, and speaks acme-tls/1 for TLS-ALPN-01.
func (a *ACME) TLSConfig() *tls.Config {
	cfg := a.cfg.TLSConfig()
	cfg.GetCertificate = a.getCertificate
	return cfg
}

// getCertificate is certmagic's, with a context that ends after
// OnDemandTimeout or at Close. certmagic gives an on-demand order 3 minutes
// inside the handshake, retries included, and every other handshake for
// the name waits behind it for up to 2: a goroutine each, held long after
// the client gave up. Nor should shutdown wait for them.
func (a *ACME) getCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	parent := hello.Context()
	if parent == nil { // a hello not from a handshake
		parent = context.Background()
	}
	ctx, cancel := context.WithTimeout(parent, a.onDemandTimeout)
	defer cancel()
	stop := context.AfterFunc(a.ctx, cancel)
	defer stop()
	c, err := a.cfg.GetCertificateWithContext(ctx, hello)
	if err == nil {
		a.noteTLSALPN(hello)
	}
	return c, err
}

// HTTPChallenge answers /.well-known/acme-challenge/ before next.
func (a *ACME) HTTPChallenge(next http.Handler) http.Handler {
	return a.httpChallenge(next)
}

// Ready is nil once a certificate for the base domain is loaded and not
// expired; CodeUnavailable before.
func (a *ACME) Ready() error {
	for _, c := range a.cache.AllMatchingCertificates(a.domain) {
		if c.Leaf != nil && time.Now().Before(c.Leaf.NotAfter) {
			return nil
		}
	}
	return domain.Errorf(domain.CodeUnavailable, "no certificate for %s yet", a.domain)
}

// Close stops obtaining and renewing: the start-up obtains are cancelled
// and the cache's maintenance goroutine has ended when it returns.
func (a *ACME) Close() error {
	a.stop()
	a.cache.Stop()
	return nil
}
