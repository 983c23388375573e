package edge

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestProxy_ForwardedProtoFromTheConnection serves the edge over TLS with
// HTTP/2 while its configured scheme is http: the local service must hear
// X-Forwarded-Proto https (from the connection, not the configuration nor
// the client), and the capture must record the request's real proto.
func TestProxy_ForwardedProtoFromTheConnection(t *testing.T) {
	te := MustEdge(t)
	acc, key := te.MustAccount(t, "a@example.com", "pro")
	origin := MustOrigin(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.Header.Get("X-Forwarded-Proto"))
	}))
	MustOpenHTTP(t, te.MustAgent(t, key), origin, "demo-app")

	ts := httptest.NewUnstartedServer(te.srv.Handler())
	ts.EnableHTTP2 = true
	ts.StartTLS()
	defer ts.Close()
	client := ts.Client()
	defer client.CloseIdleConnections()

	for _, c := range []struct{ name, url, proto, want string }{
		{"HTTPSOverH2", ts.URL, "HTTP/2.0", "https"},
		{"PlainHTTP", "http://" + te.addr, "HTTP/1.1", "http"},
	} {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", c.url+"/p", nil)
			req.Host = "demo-app." + testBase
			req.Header.Set("X-Forwarded-Proto", "gopher") // never trusted
			cl := client
			if c.proto == "HTTP/1.1" {
				cl = te.client
			}
			res, err := cl.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.Proto != c.proto {
				t.Fatalf("answered over %s, want %s", res.Proto, c.proto)
			}
			if string(b) != c.want {
				t.Errorf("X-Forwarded-Proto = %q, want %q", b, c.want)
			}
		})
	}
	got := te.waitCaptured(t, acc, 2)
	// Newest first: the plain request, then the one over h2.
	if got[1].Proto != "HTTP/2.0" || got[0].Proto != "HTTP/1.1" {
		t.Errorf("captured protos %q, %q; want HTTP/2.0 then HTTP/1.1", got[1].Proto, got[0].Proto)
	}
}
