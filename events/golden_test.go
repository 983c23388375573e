package events

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite events/testdata/golden from the payloads in golden_test.go")

// golden is a fixed value of one payload version, and what DecodePayload
// gives for its encoding (nil: a pointer to the value itself, when it is
// the current version).
type golden struct {
	value   any
	decoded any
}

const (
	gKey    = "key_01JD5Z8X7K3M9N2P4R6T8V0W1X"
	gDomain = "dom_01JD5Z9A1B2C3D4E5F6G7H8J9K"
	gTunnel = "tun_01JD5ZA0000000000000000000"
)

// goldenCapturedV1 is the request.captured the v1 golden file holds, written
// by the code that stored domain.CapturedRequest as it was.
func goldenCapturedV1() RequestCapturedV1 {
	return RequestCapturedV1{TunnelID: gTunnel, Tunnel: "hooks", Kind: "http",
		Method: "POST", Path: "/webhook?x=1&y=<2>", Status: 200, TTFBMs: 0.42, DurationMs: 1.7e-7, BytesIn: 512, BytesOut: 11,
		IP: "203.0.113.7", UserAgent: "Stripe/1.0 (+https://stripe.com/docs/webhooks)", Proto: "HTTP/1.1", Host: "hooks.warren.example",
		ReqHeaders:  map[string][]string{"Content-Type": {"application/json"}, "Stripe-Signature": {"t=1,v1=abc"}, "X-Many": {"a", "b"}},
		RespHeaders: map[string][]string{"Content-Type": {"application/json"}},
		ReqBody:     BodyV1{Size: 512, Stored: 256, SHA256: "2689367b205c16ce32ed4200942b8b8b1e262dfc70d9bc9fbc77c49699a4f1df", Truncated: true},
		RespBody:    BodyV1{Size: 11, Stored: 11, SHA256: "4062edaf750fb8074e7e83e0c9028c94e32468a8b6f1614774328ef045150f93"},
		Error:       "local_closed", ReplayOf: "01JD5ZB0000000000000000000"}
}

func goldenCapturedV2() RequestCapturedV2 {
	v1 := goldenCapturedV1()
	p := RequestCapturedV2{TunnelID: v1.TunnelID, Tunnel: v1.Tunnel, Kind: v1.Kind, Method: v1.Method, Path: v1.Path,
		Status: v1.Status, TTFBMs: v1.TTFBMs, DurationMs: v1.DurationMs, BytesIn: v1.BytesIn, BytesOut: v1.BytesOut,
		IP: v1.IP, UserAgent: v1.UserAgent, Proto: v1.Proto, Host: v1.Host,
		ReqBody: v1.ReqBody, RespBody: v1.RespBody, Error: v1.Error, ReplayOf: v1.ReplayOf}
	p.ReqHeaders = map[string][]string{"Authorization": {"hmac-sha256:5d41402abc4b2a76b9719d911017c592ae3c2d4f7e0d8f2c6ab8c0e3f1b2a3c4"},
		"Content-Type": {"application/json"}, "Cookie": {"hmac-sha256:aa", "hmac-sha256:bb"}}
	p.RespHeaders = map[string][]string{"Set-Cookie": {"hmac-sha256:cc"}}
	p.Secret = &SecretHeadersV2{Request: []string{"Authorization", "Cookie"}, Response: []string{"Set-Cookie"}}
	return p
}

// goldenCapturedV3 is a replay sent with every override.
func goldenCapturedV3() RequestCapturedV3 {
	v2 := goldenCapturedV2()
	p := *v2.upgrade()
	p.Modified, p.Overrides = true, []string{OverrideMethod, OverridePath, OverrideHeaders, OverrideBody}
	return p
}

// goldens holds one value per registered type and version, by file name.
func goldens() map[string]golden {
	v1, v2 := goldenCapturedV1(), goldenCapturedV2()
	key1 := KeyCreatedV1{KeyID: gKey, Prefix: "ak_7Hq2",
		Hash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", Description: "laptop \"ci\" ü"}
	return map[string]golden{
		"account.created.v1":      {value: AccountCreatedV1{Email: "ada@example.com", Name: "Ada <Lovelace> & Co", Plan: "pro", Operator: true}},
		"account.plan_changed.v1": {value: AccountPlanChangedV1{Plan: "pro", From: "free"}},
		"key.created.v1":          {value: key1, decoded: key1.upgrade()},
		"key.created.v2": {value: KeyCreatedV2{KeyID: gKey, Prefix: "ak_7Hq2", Hash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
			Description: "warren login on 203.0.113.7", Via: KeyViaDevice, SessionID: "web_01JD5ZE0000000000000000000"}},
		"key.revoked.v1":                {value: KeyRevokedV1{KeyID: gKey}},
		"reservation.created.v1":        {value: ReservationV1{Subdomain: "hooks"}, decoded: &ReservationV2{Subdomain: "hooks"}},
		"reservation.released.v1":       {value: ReservationV1{Subdomain: "hooks"}, decoded: &ReservationV2{Subdomain: "hooks"}},
		"reservation.created.v2":        {value: ReservationV2{Port: 20005}},
		"reservation.released.v2":       {value: ReservationV2{Port: 20005}},
		"domain.added.v1":               {value: DomainAddedV1{DomainID: gDomain, Name: "api.example.com", Token: "warren-verify-3q2+7w=="}},
		"domain.verified.v1":            {value: DomainV1{DomainID: gDomain}},
		"domain.verification_failed.v1": {value: DomainVerificationFailedV1{DomainID: gDomain, Reason: "no TXT record at _warren.api.example.com"}},
		"domain.removed.v1":             {value: DomainV1{DomainID: gDomain}},
		"tunnel.opened.v1": {value: TunnelOpenedV1{TunnelID: gTunnel, SessionID: "ses_01JD5ZA0000000000000000001", KeyID: gKey,
			Proto: "http", Subdomain: "hooks", URL: "https://hooks.warren.example", Local: "localhost:3000", RemoteAddr: "198.51.100.4:52113"}},
		"tunnel.closed.v1":    {value: TunnelClosedV1{TunnelID: gTunnel, Reason: "agent_gone"}},
		"request.captured.v1": {value: v1, decoded: v1.upgrade()},
		"request.captured.v2": {value: v2, decoded: v2.upgrade()},
		"request.captured.v3": {value: goldenCapturedV3()},
		"bodies.pruned.v1":    {value: BodiesPrunedV1{From: "01JD5ZB0000000000000000000", To: "01JD5ZC0000000000000000000", Count: 42, Bytes: 1 << 20}},
		"account.password_set.v1": {value: AccountPasswordSetV1{Via: "link", LinkID: "pwl_01JD5ZD0000000000000000000",
			Hash: "$argon2id$v=19$m=65536,t=3,p=4$AQEBAQEBAQEBAQEBAQEBAQ$AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI"}},
		"account.password_link_created.v1": {value: AccountPasswordLinkCreatedV1{LinkID: "pwl_01JD5ZD0000000000000000000",
			TokenHash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", ExpiresAt: time.Date(2026, 12, 8, 4, 30, 0, 0, time.UTC)}},
		"session.created.v1": {value: SessionCreatedV1{SessionID: "web_01JD5ZE0000000000000000000",
			IDHash: "2689367b205c16ce32ed4200942b8b8b1e262dfc70d9bc9fbc77c49699a4f1df", IP: "203.0.113.7",
			UserAgent: "Mozilla/5.0 (X11; Linux x86_64) \"quoted\" <b>", IdleFor: 43200, ExpiresAt: time.Date(2026, 12, 14, 4, 30, 0, 0, time.UTC)}},
		"session.revoked.v1":      {value: SessionRevokedV1{SessionID: "web_01JD5ZE0000000000000000000", Reason: "everywhere"}},
		"signin.failed.v1":        {value: SigninFailedV1{IP: "2001:db8::1", UserAgent: "curl/8.5.0", Reason: "bad_password"}},
		"billing.rule_changed.v1": {value: BillingRuleChangedV1{Rule: RuleWire, From: "2027-01"}},
		// payloads_webhook.go
		"webhook.verifier_added.v1": {value: WebhookVerifierAddedV1{SecretID: "sec_GEZDGNBVGY3TQOJQ", Fingerprint: "fp_0123456789abcdef",
			Subdomain: "hooks", TunnelID: gTunnel, Provider: "hmac-sha256", Header: "X-Signature", Enforce: true}},
		"webhook.verifier_removed.v1": {value: WebhookVerifierRemovedV1{SecretID: "sec_GEZDGNBVGY3TQOJQ", Subdomain: "hooks",
			TunnelID: gTunnel, Reason: "tunnel_closed"}},
		"reservation.access_set.v1": {value: ReservationAccessSetV1{Subdomain: "hooks", // payloads_access.go
			BasicAuth: []AccessCredentialV1{{User: "ada", Hash: "$argon2id$v=19$m=19456,t=2,p=1$AQEBAQEBAQEBAQEBAQEBAQ$AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI"}},
			AllowCIDR: []string{"203.0.113.0/24", "2001:db8::/32"}, DenyCIDR: []string{"203.0.113.66/32"},
			OIDC: &ReservationOIDCV1{Issuer: "https://accounts.example.com", ClientID: "warren-dev", SecretID: "sec_abcdefghijklmnopqrstuvwxyz",
				SecretFingerprint: "fp_0123456789abcdef", AllowEmail: []string{"@example.org"}}}},
		"tunnel.access_set.v1": {value: TunnelAccessSetV1{TunnelID: gTunnel,
			BasicAuth: []AccessCredentialV1{{User: "ada", Hash: "$argon2id$v=19$m=19456,t=2,p=1$AQEBAQEBAQEBAQEBAQEBAQ$AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI"}},
			DenyCIDR:  []string{"203.0.113.66/32"},
			OIDC:      &TunnelOIDCV1{Issuer: "https://accounts.example.com", ClientID: "warren-dev", AllowEmail: []string{"ada@example.com", "@example.org"}}}},
	}
}

// encodeGolden encodes v as the log does (marshalData).
func encodeGolden(t *testing.T, v any) []byte {
	t.Helper()
	b, err := marshalData(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestGoldenPayloads: each payload version encodes byte for byte as its
// golden file (a changed encoding fails here: it would be a new version),
// and each golden file decodes through the registry. -update rewrites them.
func TestGoldenPayloads(t *testing.T) {
	gs := goldens()
	for _, e := range registry {
		for v := 1; v <= len(e.versions); v++ {
			name := fmt.Sprintf("%s.v%d", e.typ, v)
			t.Run(name, func(t *testing.T) {
				g, ok := gs[name]
				if !ok {
					t.Fatalf("no golden value for %s in golden_test.go", name)
				}
				if p, ok := g.value.(payload); !ok || p.payloadVersion() != v {
					t.Fatalf("golden value %T is not a version %d payload", g.value, v)
				}
				path := filepath.Join("testdata", "golden", name+".json")
				got := encodeGolden(t, g.value)
				if *update {
					if err := os.WriteFile(path, got, 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run go test ./events -run TestGoldenPayloads -update to write it)", err)
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("encoding changed: a stored shape never changes, add a version\n got %s\nwant %s", got, want)
				}
				if std, err := json.Marshal(g.value); err != nil || !bytes.Equal(std, want) {
					t.Fatalf("encoding/json gives %s, %v", std, err)
				}
				ev := Event{Type: e.typ, Version: v, Data: want}
				dec, err := DecodePayload(&ev)
				if err != nil {
					t.Fatal(err)
				}
				wantDec := g.decoded
				if wantDec == nil {
					ptr := reflect.New(reflect.TypeOf(g.value))
					ptr.Elem().Set(reflect.ValueOf(g.value))
					wantDec = ptr.Interface()
				}
				if !reflect.DeepEqual(dec, wantDec) {
					t.Fatalf("decoded %#v\nwant %#v", dec, wantDec)
				}
			})
		}
	}
}

// TestEveryRegisteredTypeHasAGoldenFile, and every golden file is a
// registered type and version.
func TestEveryRegisteredTypeHasAGoldenFile(t *testing.T) {
	want := map[string]bool{}
	for _, e := range registry {
		for v := 1; v <= len(e.versions); v++ {
			name := fmt.Sprintf("%s.v%d.json", e.typ, v)
			want[name] = true
			if _, err := os.Stat(filepath.Join("testdata", "golden", name)); err != nil {
				t.Errorf("%s v%d has no golden file: %v", e.typ, v, err)
			}
		}
	}
	files, err := os.ReadDir(filepath.Join("testdata", "golden"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if !want[f.Name()] {
			t.Errorf("golden file %s is no registered type and version", f.Name())
		}
	}
	if len(want) != len(goldens()) || len(registry) != len(Types()) || !strings.Contains(fmt.Sprint(Types()), string(RequestCaptured)) {
		t.Errorf("%d golden values for %d registered versions", len(goldens()), len(want))
	}
}

// TestCapturedV2WithoutSecretsEncodesAsV1: sealing added a version, not a
// new encoding for what has nothing sealed.
func TestCapturedV2WithoutSecretsEncodesAsV1(t *testing.T) {
	v1 := goldenCapturedV1()
	got, err := v1.upgrade().AppendJSON(nil)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join("testdata", "golden", "request.captured.v1.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("v2 without secrets\n got %s\nwant %s", got, want)
	}
}
