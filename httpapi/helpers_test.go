package httpapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
	edgeaccess "warren/edge/access"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"
	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/events"
	"warren/events/logtest"
	"warren/projections"
)

// testEnv is a real API over a real log in a temp dir, on 127.0.0.1:0.
type testEnv struct {
	log *events.Log
	srv *Server
	ts  *httptest.Server
	ps  *gochannel.GoChannel
}

func mustEnv(tb testing.TB, tweak ...func(*Config)) *testEnv {
	tb.Helper()
	ps := gochannel.NewGoChannel(gochannel.Config{OutputChannelBuffer: 1024}, watermill.NopLogger{})
	// Checked (bbolt consistency, the chain) after the close below.
	l, _ := logtest.Open(tb, events.Options{Applier: projections.New(), Publisher: ps})
	cfg := Config{Log: l, BaseDomain: "warren.test", Subscriber: ps,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), AccessRules: testAccessRules{}}
	for _, f := range tweak {
		f(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	tb.Cleanup(func() {
		ts.CloseClientConnections()
		ts.Close()
		ps.Close()
		l.Close()
	})
	return &testEnv{log: l, srv: s, ts: ts, ps: ps}
}

// account creates an account and returns its id and key secret.
func (e *testEnv) account(tb testing.TB, email, plan string, operator bool) (string, string) {
	tb.Helper()
	secret, err := domain.NewKeySecret(rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	evs, err := e.log.Execute(context.Background(), projections.CreateAccount(projections.NewAccount{
		Email: email, Name: strings.Split(email, "@")[0], Plan: plan, Operator: operator,
		KeyHash: domain.HashKeySecret(secret), KeyPrefix: domain.KeyShownPrefix(secret)}))
	if err != nil {
		tb.Fatal(err)
	}
	return projections.AccountIDFromEvents(evs), secret
}

// tunnel opens an http tunnel on sub (tcp when port > 0) and returns its id.
func (e *testEnv) tunnel(tb testing.TB, acc, sub string, port int) string {
	tb.Helper()
	in := projections.OpenTunnel{AccountID: acc, SessionID: "ses_test", KeyID: "key_test", Proto: domain.ProtoHTTP,
		Subdomain: sub, Local: "localhost:3000", RemoteAddr: "203.0.113.7:51234",
		URL: func(s string, p int) string {
			if p > 0 {
				return "tcp://warren.test:" + itoa(p)
			}
			return "https://" + s + ".warren.test"
		}}
	if port > 0 {
		in.Proto, in.Port, in.Subdomain = domain.ProtoTCP, port, ""
	}
	evs, err := e.log.Execute(context.Background(), projections.OpenTunnelCmd(in))
	if err != nil {
		tb.Fatal(err)
	}
	d, err := projections.TunnelFromEvents(evs)
	if err != nil {
		tb.Fatal(err)
	}
	return d.TunnelID
}

// capture appends n captured requests on the tunnel named name, in batches.
func (e *testEnv) capture(tb testing.TB, acc, tunnelID, name string, n int) {
	tb.Helper()
	const batch = 500
	for done := 0; done < n; {
		k := min(batch, n-done)
		drafts := make([]events.Draft, k)
		for i := range drafts {
			drafts[i] = captureDraft(acc, tunnelID, name, done+i, nil, nil)
		}
		if _, err := e.log.Append(context.Background(), drafts...); err != nil {
			tb.Fatal(err)
		}
		done += k
	}
}

func captureDraft(acc, tunnelID, name string, i int, reqBody, respBody []byte) events.Draft {
	return events.Draft{Type: events.RequestCaptured, Account: acc, Data: domain.CapturedRequest{
		TunnelID: tunnelID, Tunnel: name, Kind: domain.KindHTTP, Method: "GET", Path: "/item/" + itoa(i),
		Status: 200, DurationMs: 1.5, TTFBMs: 1, BytesIn: 10, BytesOut: 28, IP: "203.0.113.7",
		UserAgent: "curl/8.7.1", Proto: "HTTP/1.1", Host: name + ".warren.test",
		ReqHeaders:  map[string][]string{"User-Agent": {"curl/8.7.1"}},
		RespHeaders: map[string][]string{"Content-Type": {"text/plain"}},
		ReqBody:     domain.BodyInfo{Size: int64(len(reqBody)), Stored: int64(len(reqBody))},
		RespBody:    domain.BodyInfo{Size: int64(len(respBody)), Stored: int64(len(respBody))},
	}, Bodies: [][]byte{reqBody, respBody}}
}

func itoa(n int) string { return strconv.Itoa(n) }

// do sends a request with the key (if any) and returns status, headers and body.
func (e *testEnv) do(tb testing.TB, method, path, key string, body string, hdr ...string) (int, http.Header, []byte) {
	tb.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	url := path
	if !strings.HasPrefix(path, "http") {
		url = e.ts.URL + path
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		tb.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

// mustJSON decodes b into v or fails.
func mustJSON(tb testing.TB, b []byte, v any) {
	tb.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		tb.Fatalf("decoding %q: %v", b, err)
	}
}

// wantStatus fails unless got == want, showing the body.
func wantStatus(tb testing.TB, got, want int, body []byte) {
	tb.Helper()
	if got != want {
		tb.Fatalf("status %d, want %d; body %s", got, want, bytes.TrimSpace(body))
	}
}

// wantError checks an error response's status and code.
func wantError(tb testing.TB, st int, body []byte, wantSt int, code string) {
	tb.Helper()
	wantStatus(tb, st, wantSt, body)
	var e struct {
		Error   string `json:"error"`
		Message string `json:"message"`
	}
	mustJSON(tb, body, &e)
	if e.Error != code {
		tb.Fatalf("error %q, want %q (body %s)", e.Error, code, body)
	}
}

// canon re-encodes JSON with sorted keys for exact shape comparisons.
func canon(tb testing.TB, b []byte) string {
	tb.Helper()
	var v any
	mustJSON(tb, b, &v)
	out, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return string(out)
}

// mustKeyID finds the id of a key secret through the projection.
func mustKeyID(tb testing.TB, e *testEnv, secret string) string {
	tb.Helper()
	var id string
	if err := e.log.DB().View(func(tx *bolt.Tx) error {
		k, err := projections.KeyByHash(tx, domain.HashKeySecret(secret))
		id = k.ID
		return err
	}); err != nil {
		tb.Fatal(err)
	}
	return id
}

// decodeStrictReader reads a 200 JSON response into v.
func decodeStrictReader(resp *http.Response, v any) error {
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d: %s", resp.StatusCode, b)
	}
	return json.Unmarshal(b, v)
}

// tallyRace counts the outcomes of racing calls: successes and conflicts;
// any other error fails the test.
func tallyRace(tb testing.TB, errs <-chan error) (ok, conflict int) {
	tb.Helper()
	for err := range errs {
		switch domain.ErrorCode(err) {
		case "":
			ok++
		case domain.CodeConflict:
			conflict++
		default:
			tb.Fatalf("racing call: %v", err)
		}
	}
	return ok, conflict
}

// testAccessRules is what the composition root passes: edge/access's checks.
type testAccessRules struct{}

func (testAccessRules) HashUser(user, password string) (domain.AccessCredential, error) {
	return edgeaccess.HashUser(user, password)
}

func (testAccessRules) Normalize(r domain.AccessRules) (domain.AccessRules, error) {
	return edgeaccess.Normalize(r)
}
