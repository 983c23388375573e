package server

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	stripewebhook "github.com/stripe/stripe-go/v82/webhook"

	"warren/cmd/warren/internal/warrentest"
)

// secretForms are the ways a secret could be written down: as is, in hex
// and in base64 (standard and URL alphabets, padded or not, at each of the
// three alignments it could have inside a longer encoded value).
func secretForms(secret string) []string {
	forms := []string{secret, hex.EncodeToString([]byte(secret)), strings.ToUpper(hex.EncodeToString([]byte(secret)))}
	for off := 0; off < 3; off++ {
		part := []byte(secret[off:])
		part = part[:len(part)/3*3] // whole groups: encoded the same whatever follows
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
			forms = append(forms, enc.EncodeToString(part))
		}
	}
	return forms
}

// leaks reports which secret, in which form, b holds.
func leaks(b []byte, secrets []string) string {
	for _, s := range secrets {
		for _, f := range secretForms(s) {
			if bytes.Contains(b, []byte(f)) {
				return f + " (of " + s[:6] + "…)"
			}
		}
	}
	return ""
}

// TestWebhookSecretsNeverLeaveTheSealedStore: after an agent's and a
// reservation's verifiers are used, no signing secret is, in any common
// encoding, in a file of the data directory but the sealed store (and
// there only sealed), in the API's answers, in an online or offline
// backup, or in the server's or agent's output; the backup says it carries
// the sealed store without its key; events verify and rebuild run without
// the store.
func TestWebhookSecretsNeverLeaveTheSealedStore(t *testing.T) {
	const (
		stripeSecret = "whsec_SEKRETstripeAAAA0123456789abcdefXYZ"
		hmacSecret   = "hmacSEKRETBBBB0123456789abcdefXYZ"
		githubSecret = "githubSEKRETCCCC0123456789abcdefXYZ"
	)
	secrets := []string{stripeSecret, hmacSecret, githubSecret}
	local := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		io.WriteString(w, "ok")
	}))
	defer local.Close()
	data := t.TempDir()
	s := warrentest.StartServer(t, data)
	key := warrentest.KeyRe.FindString(s.WaitOutput(t, "/api/v1/me/plan"))
	ag := warrentest.StartAgent(t, s, key, "http", strings.TrimPrefix(local.URL, "http://"), "--subdomain", "hooks",
		"--verify-webhook", "stripe:"+stripeSecret, "--verify-webhook", "hmac-sha256:X-Sig:"+hmacSecret)
	ag.Wait(t, "hooks.localhost")

	client := &http.Client{Timeout: 20 * time.Second}
	var answers bytes.Buffer // every API answer, checked at the end
	call := func(method, path, body string, want int) []byte {
		t.Helper()
		req, _ := http.NewRequest(method, s.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != want {
			t.Fatalf("%s %s: %d %s, want %d", method, path, res.StatusCode, b, want)
		}
		answers.Write(b)
		return b
	}
	deliver := func(host string, body []byte, h http.Header) {
		t.Helper()
		req, _ := http.NewRequest("POST", "http://"+s.Addr+"/hook", bytes.NewReader(body))
		req.Host = host
		req.Header = h
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
	body := []byte(`{"id":"evt_1","object":"event","type":"invoice.paid"}`)
	sig := stripewebhook.GenerateTestSignedPayload(&stripewebhook.UnsignedPayload{Payload: body, Secret: stripeSecret, Timestamp: time.Now()}).Header
	deliver("hooks.localhost", body, http.Header{"Stripe-Signature": {sig}})
	ag.Wait(t, "✓ stripe")

	// A reservation's verifier, over the API; used by a second agent.
	call("POST", "/api/v1/me/reservations", `{"subdomain":"resv"}`, 201)
	call("POST", "/api/v1/me/reservations/resv/webhooks", `{"spec":"github:`+githubSecret+`"}`, 201)
	call("GET", "/api/v1/me/reservations/resv/webhooks", "", 200)
	ag2 := warrentest.StartAgent(t, s, key, "http", strings.TrimPrefix(local.URL, "http://"), "--subdomain", "resv")
	ag2.Wait(t, "resv.localhost")
	deliver("resv.localhost", body, http.Header{"X-Hub-Signature-256": {"sha256=00"}})
	ag2.Wait(t, "✗ github malformed_signature")

	list := call("GET", "/api/v1/me/tunnels/hooks/requests", "", 200)
	if !strings.Contains(string(list), `"webhook":{"provider":"stripe","verified":true}`) {
		t.Fatalf("the list lacks the verdict: %s", list)
	}
	id := strings.SplitN(strings.SplitN(string(list), `"id":"`, 2)[1], `"`, 2)[0]
	call("GET", "/api/v1/me/tunnels/hooks/requests/"+id, "", 200)
	call("GET", "/api/v1/me/tunnels/hooks/requests/export?format=har", "", 200)
	call("GET", "/api/v1/me/tunnels/hooks/requests/export?format=ndjson", "", 200)
	call("GET", "/api/v1/me/events?limit=100", "", 200)
	call("GET", "/api/v1/me/requests/"+id+"/export", "", 200)
	backup := call("GET", "/api/v1/admin/backup", "", 200)
	if f := leaks(answers.Bytes(), secrets); f != "" {
		t.Errorf("an API answer holds %s", f)
	}
	if f := leaks(backup, secrets); f != "" {
		t.Errorf("the online backup holds %s", f)
	}
	// `warren backup --server` keeps the sealed store beside the copy too.
	online := t.TempDir()
	ob := warrentest.Run(t, []string{"HOME=" + t.TempDir()}, "backup", "--server", s.URL, "--key", key, "--out", filepath.Join(online, "warren.db"))
	if ob.Code != 0 || !strings.Contains(ob.Stdout, "warren.db."+SecretsFile) || !strings.Contains(ob.Stdout, "NOT in the backup") {
		t.Errorf("online backup: exit %d, stdout %q, stderr %q", ob.Code, ob.Stdout, ob.Stderr)
	}
	if b, err := os.ReadFile(filepath.Join(online, "warren.db."+SecretsFile)); err != nil || len(b) == 0 || leaks(b, secrets) != "" {
		t.Errorf("online backup's sealed store: %d bytes, %v", len(b), err)
	}

	ag.Cmd.Process.Kill()
	ag2.Cmd.Process.Kill()
	<-ag.Exited()
	<-ag2.Exited()
	out := s.Stop(t) + s.Stderr.String()
	if f := leaks([]byte(out+ag.Output()+ag2.Output()), secrets); f != "" {
		t.Errorf("a log line holds %s", f)
	}
	// The reservation's secret outlives the agents; theirs are destroyed.
	sealedFile := filepath.Join(data, SecretsFile)
	if err := filepath.WalkDir(data, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if f := leaks(b, secrets); f != "" {
			t.Errorf("%s holds %s", path, f)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(sealedFile); err != nil || st.Size() == 0 {
		t.Fatalf("no sealed store: %v", err)
	}

	// The offline backup carries the sealed store, not its key, and says so.
	restore := t.TempDir()
	r := warrentest.MustRun(t, "backup", "--data", data, "--out", filepath.Join(restore, "warren.db"))
	if !strings.Contains(r.Stdout, "warren.db."+SecretsFile) || !strings.Contains(r.Stdout, "NOT in the backup") {
		t.Errorf("backup output %q does not say what it carries", r.Stdout)
	}
	if _, err := os.Stat(filepath.Join(restore, "warren.db."+SecretsFile)); err != nil {
		t.Errorf("the backup has no sealed store: %v", err)
	}
	matches, _ := filepath.Glob(filepath.Join(restore, "*key*"))
	if len(matches) > 0 {
		t.Errorf("the backup holds a key: %v", matches)
	}
	// events verify and rebuild need no sealed store.
	for _, f := range []string{SecretsFile, SecretsKeyFile} {
		if err := os.Rename(filepath.Join(data, f), filepath.Join(restore, f)); err != nil {
			t.Fatal(err)
		}
	}
	v := warrentest.MustRun(t, "events", "verify", "--data", data)
	if !strings.Contains(v.Stdout, "ok: ") {
		t.Errorf("events verify without the store: %q", v.Stdout)
	}
	rb := warrentest.MustRun(t, "rebuild", "--data", data)
	if rb.Code != 0 {
		t.Errorf("rebuild without the store: exit %d", rb.Code)
	}
}
