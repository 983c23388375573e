package httpapi

import (
	"strings"
	"testing"

	"warren/domain"
)

func TestDomains_Routes(t *testing.T) {
	dns := startFakeDNS(t)
	resolver, err := NewDNSResolver(dns.Addr())
	if err != nil {
		t.Fatal(err)
	}
	a := startKDAPI(t, resolver, nil)
	_, keyA := mustOpsAccount(t, a.Log, "a@example.com", domain.PlanFree)
	_, keyB := mustOpsAccount(t, a.Log, "b@example.com", domain.PlanFree)

	type domainOut struct {
		ID, Name, State string
		TXTRecord       struct{ Name, Type, Value string }
		LastError       *string
		VerifiedAt      *string
	}
	var d domainOut
	t.Run("AddReturnsTheTXTRecord", func(t *testing.T) {
		r := a.call(t, "POST", "/v1/domains", keyA, "", `{"name":"app.example.com"}`).want(t, 201, &d)
		if got := strings.Join(keysOf(t, r.Body), ","); got != "checkedAt,createdAt,id,lastError,name,state,txtRecord,verifiedAt" {
			t.Fatalf("fields %s", got)
		}
		if !strings.HasPrefix(d.ID, "dom_") || d.Name != "app.example.com" || d.State != "pending" ||
			d.TXTRecord.Name != "_warren-challenge.app.example.com" || d.TXTRecord.Type != "TXT" || len(d.TXTRecord.Value) < 20 {
			t.Fatalf("added %s", r.Body)
		}
		if r.Header.Get("Location") != a.URL+"/v1/domains/"+d.ID {
			t.Fatalf("Location %q", r.Header.Get("Location"))
		}
	})
	t.Run("ErrBadName", func(t *testing.T) {
		for _, body := range []string{`{}`, `{"name":""}`, `{"name":"nodots"}`, `{"name":"bad_label.com"}`, `{"name":"x.warren.test"}`, `{"name":"ü.example.com"}`, `{"name":5}`} {
			a.call(t, "POST", "/v1/domains", keyA, "application/json", body).wantError(t, 400, "invalid")
		}
		a.call(t, "POST", "/v1/domains", keyA, "application/json", `{"name":"app.example.com"}`).wantError(t, 409, "conflict")
	})
	t.Run("VerifyFailsWithoutTheRecord", func(t *testing.T) {
		var got domainOut
		a.call(t, "POST", "/v1/domains/"+d.ID+"/verify", keyA, "", "").want(t, 200, &got)
		if got.State != "failed" || got.LastError == nil || !strings.Contains(*got.LastError, "no TXT record found at _warren-challenge.app.example.com") {
			t.Fatalf("after a failed check %+v", got)
		}
		dns.SetTXT(d.TXTRecord.Name, "warren-verify=someone-elses")
		a.call(t, "POST", "/v1/domains/"+d.ID+"/verify", keyA, "", "").want(t, 200, &got)
		if got.State != "failed" || !strings.Contains(*got.LastError, "do not hold the token") {
			t.Fatalf("after a wrong token %+v", got)
		}
		// By name as well as by id, as `tunnels close` takes a name.
		got = domainOut{}
		a.call(t, "POST", "/v1/domains/App.Example.com./verify", keyA, "", "").want(t, 200, &got)
		if got.ID != d.ID || got.State != "failed" {
			t.Fatalf("verify by name %+v", got)
		}
	})
	t.Run("ErrOtherAccount", func(t *testing.T) {
		a.call(t, "POST", "/v1/domains/"+d.ID+"/verify", keyB, "", "").wantError(t, 404, "not_found")
		a.call(t, "DELETE", "/v1/domains/"+d.ID, keyB, "", "").wantError(t, 404, "not_found")
		a.call(t, "POST", "/v1/domains/dom_nope/verify", keyA, "", "").wantError(t, 404, "not_found")
		a.call(t, "POST", "/v1/domains/app.example.com/verify", keyB, "", "").wantError(t, 404, "not_found")
		a.call(t, "DELETE", "/v1/domains/app.example.com", keyB, "", "").wantError(t, 404, "not_found")
		a.call(t, "DELETE", "/v1/domains/nope.example.com", keyA, "", "").wantError(t, 404, "not_found")
		var l struct{ Domains []domainOut }
		a.call(t, "GET", "/v1/domains", keyB, "", "").want(t, 200, &l)
		if len(l.Domains) != 0 {
			t.Fatalf("b sees %+v", l.Domains)
		}
	})
	// Until verified, another account may claim the name too (the TXT
	// record decides); after, it may not.
	var dB domainOut
	a.call(t, "POST", "/v1/domains", keyB, "", `{"name":"app.example.com"}`).want(t, 201, &dB)
	t.Run("VerifySucceeds", func(t *testing.T) {
		dns.SetTXT(d.TXTRecord.Name, "v=spf1 -all", d.TXTRecord.Value)
		var got domainOut
		a.call(t, "POST", "/v1/domains/"+d.ID+"/verify", keyA, "", "").want(t, 200, &got)
		if got.State != "verified" || got.LastError != nil || got.VerifiedAt == nil {
			t.Fatalf("after a good check %+v", got)
		}
	})
	t.Run("ErrVerifiedByAnother", func(t *testing.T) {
		a.call(t, "POST", "/v1/domains", keyB, "", `{"name":"app.example.com"}`).wantError(t, 409, "conflict")
		// B's earlier pending entry can't be verified now, even with its own token published.
		dns.SetTXT(dB.TXTRecord.Name, dB.TXTRecord.Value)
		a.call(t, "POST", "/v1/domains/"+dB.ID+"/verify", keyB, "", "").wantError(t, 409, "conflict")
	})
	t.Run("ErrQuota", func(t *testing.T) {
		a.call(t, "POST", "/v1/domains", keyA, "", `{"name":"two.example.com"}`).want(t, 201, nil)
		a.call(t, "POST", "/v1/domains", keyA, "", `{"name":"three.example.com"}`).wantError(t, 429, "quota")
	})
	t.Run("ListAndRemove", func(t *testing.T) {
		var l struct {
			Domains     []domainOut
			NextPageURI *string `json:"next_page_uri"`
		}
		a.call(t, "GET", "/v1/domains?limit=1", keyA, "", "").want(t, 200, &l)
		if len(l.Domains) != 1 || l.Domains[0].Name != "two.example.com" || l.NextPageURI == nil {
			t.Fatalf("first page %+v", l)
		}
		next := strings.TrimPrefix(*l.NextPageURI, a.URL)
		a.call(t, "GET", next, keyA, "", "").want(t, 200, &l)
		if len(l.Domains) != 1 || l.Domains[0].ID != d.ID || l.NextPageURI != nil {
			t.Fatalf("second page %+v", l)
		}
		// A page's cursor still works once its domain is removed (a script
		// that removes each item before following next_page_uri).
		a.call(t, "GET", "/v1/domains?limit=1", keyA, "", "").want(t, 200, &l)
		two := l.Domains[0].ID
		a.call(t, "DELETE", "/v1/domains/"+two, keyA, "", "").want(t, 204, nil)
		a.call(t, "GET", next, keyA, "", "").want(t, 200, &l)
		if len(l.Domains) != 1 || l.Domains[0].ID != d.ID {
			t.Fatalf("after its cursor's domain was removed %+v", l)
		}
		// Another account's id is still refused.
		a.call(t, "GET", "/v1/domains?before_id="+two, keyB, "", "").wantError(t, 400, "invalid")
		a.call(t, "DELETE", "/v1/domains/"+d.ID, keyA, "", "").want(t, 204, nil)
		a.call(t, "DELETE", "/v1/domains/"+d.ID, keyA, "", "").wantError(t, 404, "not_found")
		a.call(t, "GET", "/v1/domains", keyA, "", "").want(t, 200, &l)
		if len(l.Domains) != 0 {
			t.Fatalf("after remove %+v", l.Domains)
		}
		// The name is free again: B verifies its pending entry now.
		var got domainOut
		a.call(t, "POST", "/v1/domains/"+dB.ID+"/verify", keyB, "", "").want(t, 200, &got)
		if got.State != "verified" {
			t.Fatalf("b's check %+v", got)
		}
	})
	t.Run("SeedCurlExample", func(t *testing.T) {
		// curl -X POST https://api.osmrouter.com/v1/domains/<id>/verify -H "Authorization: Bearer $OSM_TOKEN"
		r := a.call(t, "POST", "/v1/domains/"+dB.ID+"/verify", keyB, "", "").want(t, 200, nil)
		if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			t.Fatalf("Content-Type %q", r.Header.Get("Content-Type"))
		}
		a.call(t, "POST", "/v1/domains/"+dB.ID+"/verify", "", "", "").wantError(t, 401, "unauthorized")
	})
}
