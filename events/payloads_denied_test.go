package events

import (
	"bytes"
	"encoding/json"
	"testing"

	"warren/domain"
)

// TestCapturedDeniedEncodesAsEncodingJSON: a capture refused by an access
// rule carries "denied" in the log, encoded as encoding/json does, and it
// comes back through the decoder; one without it encodes as before.
func TestCapturedDeniedEncodesAsEncodingJSON(t *testing.T) {
	for _, denied := range []string{"basic_auth", "ip", "oidc", ""} {
		p := CapturedFromDomain(domain.CapturedRequest{TunnelID: "tun_1", Tunnel: "app", Kind: "http", Method: "GET",
			Path: "/", Status: 401, IP: "192.0.2.1", Proto: "HTTP/1.1", Host: "app.warren.test", Error: "denied", Denied: denied})
		want, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		got, err := p.AppendJSON(nil)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("AppendJSON\n got %s\nwant %s (%v)", got, want, err)
		}
		if bytes.Contains(got, []byte(`"denied":`)) != (denied != "") {
			t.Fatalf("denied %q encoded as %s", denied, got)
		}
		v, err := DecodePayload(&Event{Type: RequestCaptured, Version: p.payloadVersion(), Data: got})
		if err != nil {
			t.Fatal(err)
		}
		if d := v.(*RequestCapturedData).Domain(); d.Denied != denied {
			t.Fatalf("decoded denied %q, want %q", d.Denied, denied)
		}
	}
}
