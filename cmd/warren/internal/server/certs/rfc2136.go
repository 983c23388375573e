package certs

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/libdns/libdns"
	"github.com/miekg/dns"

	"warren/domain"
)

// RFC2136 is a libdns provider that adds and removes records with RFC 2136
// dynamic updates (BIND, Knot, PowerDNS), signed with TSIG hmac-sha256
// when a key is set. It is what DNS-01 needs: append and delete.
type RFC2136 struct {
	Server  string // the primary's host:port
	KeyName string // TSIG key name ("": unsigned updates)
	Secret  string // TSIG secret, base64 as in BIND's key files
	Timeout time.Duration
}

// ParseTSIGKey splits a --dns-rfc2136-tsig-key value "name:secret"
// (CodeInvalid when it is not that, or the secret is not base64).
func ParseTSIGKey(v string) (name, secret string, err error) {
	name, secret, ok := strings.Cut(v, ":")
	if !ok || name == "" || secret == "" {
		return "", "", domain.Errorf(domain.CodeInvalid, "TSIG key must be name:secret")
	}
	if _, err := base64.StdEncoding.DecodeString(secret); err != nil {
		return "", "", domain.Errorf(domain.CodeInvalid, "TSIG secret is not base64: %v", err)
	}
	return name, secret, nil
}

// AppendRecords adds recs to zone in one update.
func (p *RFC2136) AppendRecords(ctx context.Context, zone string, recs []libdns.Record) ([]libdns.Record, error) {
	rrs, err := toDNS(zone, recs)
	if err != nil {
		return nil, err
	}
	m := new(dns.Msg)
	m.SetUpdate(dns.Fqdn(zone))
	m.Insert(rrs)
	return recs, p.exchange(ctx, m)
}

// DeleteRecords removes exactly recs (name, type and value) from zone.
func (p *RFC2136) DeleteRecords(ctx context.Context, zone string, recs []libdns.Record) ([]libdns.Record, error) {
	rrs, err := toDNS(zone, recs)
	if err != nil {
		return nil, err
	}
	m := new(dns.Msg)
	m.SetUpdate(dns.Fqdn(zone))
	m.Remove(rrs)
	return recs, p.exchange(ctx, m)
}

func (p *RFC2136) exchange(ctx context.Context, m *dns.Msg) error {
	c := &dns.Client{Net: "tcp", Timeout: p.Timeout}
	if c.Timeout == 0 {
		c.Timeout = 10 * time.Second
	}
	if p.KeyName != "" {
		key := dns.Fqdn(p.KeyName)
		c.TsigSecret = map[string]string{key: p.Secret}
		m.SetTsig(key, dns.HmacSHA256, 300, time.Now().Unix())
	}
	r, _, err := c.ExchangeContext(ctx, m, p.Server)
	if err != nil {
		return domain.Errorf(domain.CodeUnavailable, "rfc2136 update to %s: %v", p.Server, err)
	}
	if r.Rcode != dns.RcodeSuccess {
		return domain.Errorf(domain.CodeUnavailable, "rfc2136 update to %s refused: %s", p.Server, dns.RcodeToString[r.Rcode])
	}
	return nil
}

// toDNS turns libdns records relative to zone into wire records.
func toDNS(zone string, recs []libdns.Record) ([]dns.RR, error) {
	out := make([]dns.RR, 0, len(recs))
	for _, rec := range recs {
		r := rec.RR()
		name := dns.Fqdn(libdns.AbsoluteName(r.Name, zone))
		ttl := uint32(r.TTL / time.Second)
		if ttl == 0 {
			ttl = 60
		}
		hdr := dns.RR_Header{Name: name, Class: dns.ClassINET, Ttl: ttl}
		if strings.EqualFold(r.Type, "TXT") {
			hdr.Rrtype = dns.TypeTXT
			out = append(out, &dns.TXT{Hdr: hdr, Txt: []string{r.Data}})
			continue
		}
		rr, err := dns.NewRR(fmt.Sprintf("%s %d IN %s %s", name, ttl, r.Type, r.Data))
		if err != nil {
			return nil, domain.Errorf(domain.CodeInvalid, "record %s %s: %v", r.Name, r.Type, err)
		}
		out = append(out, rr)
	}
	return out, nil
}
