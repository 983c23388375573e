package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"warren/cmd/warren/internal/warrentest"
	"warren/events"
	"warren/events/jsbus"
)

// TestControlRole_KilledUnderCaptureLoad runs `warren serve --role control`
// as a process (embedded NATS on a fixed port, from the env twins): an
// agent's request through it is answered and listed; an edge's capture
// sender sends captures at a steady pace while the control process is
// SIGKILLed and started again on the same data directory; every capture
// is then listed by GET /v1/requests exactly once.
func TestControlRole_KilledUnderCaptureLoad(t *testing.T) {
	natsPort := freePort(t)
	env := []string{"WARREN_ROLE=control", "WARREN_NATS_LISTEN=127.0.0.1:" + strconv.Itoa(natsPort)}
	data := t.TempDir()
	s := warrentest.StartServerAt(t, data, "127.0.0.1:0", env...)
	out := s.WaitOutput(t, "NATS JetStream (embedded) listening on")
	key := warrentest.KeyRe.FindString(s.WaitOutput(t, "ak_"))
	natsURL := fmt.Sprintf("nats://127.0.0.1:%d", natsPort)
	if !strings.Contains(out, natsURL) {
		t.Fatalf("serve did not announce %s:\n%s", natsURL, out)
	}

	local := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok "+r.URL.Path) }))
	defer local.Close()
	a := warrentest.StartAgent(t, s, key, "http", strings.TrimPrefix(local.URL, "http://"), "--subdomain", "ctl-e2e")
	a.Wait(t, "Forwarding")
	if st, body := warrentest.PublicGet(t, s, "ctl-e2e.localhost", "/via-agent"); st != 200 || body != "ok /via-agent" {
		t.Fatalf("public GET through the control plane: %d %q", st, body)
	}
	acc := operatorAccount(t, natsURL)

	snd, err := jsbus.NewSender(jsbus.SenderConfig{Bus: jsbus.Config{URL: natsURL, Name: "test-edge"}, SpoolDir: t.TempDir(),
		AckTimeout: time.Second, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	defer snd.Close()
	const n, killAt = 150, 50
	for i := range n {
		if i == killAt {
			s.Cmd.Process.Kill()
			<-s.Exited()
			s = warrentest.StartServerAt(t, data, s.Addr, env...)
		}
		d := events.Draft{Type: events.RequestCaptured, Account: acc,
			Data: json.RawMessage(fmt.Sprintf(`{"tunnelId":"tun_edge1","tunnel":"edge1","kind":"http","method":"GET","path":"/edge/%d","status":200}`, i))}
		if err := snd.Send(ulid.Make(), d); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	count := func() map[string]int {
		seen := map[string]int{}
		for _, p := range listPaths(t, s.Addr, key, "/v1/requests?tunnel=edge1") {
			seen[p]++
		}
		return seen
	}
	deadline := time.Now().Add(30 * time.Second)
	seen := count()
	for len(seen) < n && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		seen = count()
	}
	// Late copies (a redelivery after the restart) would land now.
	time.Sleep(time.Second)
	seen = count()
	for i := range n {
		if c := seen[fmt.Sprintf("/edge/%d", i)]; c != 1 {
			t.Errorf("/edge/%d listed %d times, want once", i, c)
		}
	}
	if via := listPaths(t, s.Addr, key, "/v1/requests?tunnel=ctl-e2e"); len(via) != 1 || via[0] != "/via-agent" {
		t.Errorf("the agent's request listed as %q, want once", via)
	}
	if st := snd.Stats(); st.Dropped != 0 {
		t.Errorf("sender dropped %d captures", st.Dropped)
	}
	s.Stop(t)
}

// operatorAccount reads the account of the first account.created the
// control plane relayed to JetStream: the operator's, made on first start.
func operatorAccount(t *testing.T, natsURL string) string {
	t.Helper()
	sub, err := jsbus.NewSubscriber(jsbus.Config{URL: natsURL, Name: "test-reader", Durable: "test-reader"})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ch, err := sub.Subscribe(ctx, events.TopicControl)
	if err != nil {
		t.Fatal(err)
	}
	for {
		select {
		case m, ok := <-ch:
			if !ok {
				t.Fatal("subscription ended")
			}
			m.Ack()
			if m.Metadata.Get(events.MetaType) == string(events.AccountCreated) {
				return m.Metadata.Get(events.MetaAccount)
			}
		case <-ctx.Done():
			t.Fatal("no account.created on JetStream within 20 s")
		}
	}
}

// listPaths follows next_page_uri from path and returns the paths listed.
func listPaths(t *testing.T, addr, key, path string) []string {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second}
	var paths []string
	for range 100 {
		req, _ := http.NewRequest(http.MethodGet, "http://"+addr+path, nil)
		req.Header.Set("Authorization", "Bearer "+key)
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var page struct {
			Requests []struct{ Path string }
			Next     *string `json:"next_page_uri"`
		}
		err = json.NewDecoder(res.Body).Decode(&page)
		res.Body.Close()
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("GET %s: %d %v", path, res.StatusCode, err)
		}
		for _, r := range page.Requests {
			paths = append(paths, r.Path)
		}
		if page.Next == nil {
			return paths
		}
		u, err := url.Parse(*page.Next)
		if err != nil {
			t.Fatal(err)
		}
		path = u.RequestURI()
	}
	t.Fatal("more than 100 pages")
	return nil
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
