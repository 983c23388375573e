package cli

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"warren/cmd/warren/internal/warrentest"
)

// accessOrigin is a local service that records the Authorization header
// of each request that reached it.
type accessOrigin struct {
	mu    sync.Mutex
	auths []string
}

func (o *accessOrigin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	o.auths = append(o.auths, r.Header.Get("Authorization"))
	o.mu.Unlock()
	io.WriteString(w, "inside")
}

func (o *accessOrigin) seen() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.auths...)
}

func startAccessOrigin(t *testing.T) (*accessOrigin, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	o := &accessOrigin{}
	hs := &http.Server{Handler: o}
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return o, port
}

// publicDo sends a GET for host through the server with extra headers.
func publicDo(t *testing.T, s *warrentest.Server, host string, hdr ...string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+s.Addr+"/", nil)
	req.Host = host
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	c := &http.Client{Timeout: 10 * time.Second}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res
}

// TestHTTPAccessFlagsGuardTheTunnel runs the real binaries: `warren http
// --basic-auth` lets in only the visitor with the password, refused ones
// never reach the local service, the password reaches neither the local
// service nor any file of the server's data directory; `--allow-cidr`
// keeps out an address it does not list; and with the operator's
// WARREN_TRUSTED_PROXIES, `--deny-cidr` judges the forwarded address.
func TestHTTPAccessFlagsGuardTheTunnel(t *testing.T) {
	data := t.TempDir()
	s := warrentest.StartServerAt(t, data, "127.0.0.1:0", "WARREN_TRUSTED_PROXIES=127.0.0.1")
	defer s.Stop(t)
	key := warrentest.KeyRe.FindString(s.WaitOutput(t, "ak_"))
	_, srvPort, _ := net.SplitHostPort(s.Addr)
	const password = "tunnel-pass-7Qx2"

	t.Run("BasicAuth", func(t *testing.T) {
		o, port := startAccessOrigin(t)
		a := warrentest.StartAgent(t, s, key, "http", port, "--subdomain", "guarded", "--basic-auth", "ada:"+password)
		a.Wait(t, "Forwarding http://guarded.localhost:"+srvPort)
		host := "guarded.localhost:" + srvPort
		if res := publicDo(t, s, host); res.StatusCode != 401 {
			t.Fatalf("no password: %d", res.StatusCode)
		}
		req, _ := http.NewRequest("GET", "/", nil)
		req.SetBasicAuth("ada", "not the password")
		if res := publicDo(t, s, host, "Authorization", req.Header.Get("Authorization")); res.StatusCode != 401 {
			t.Fatalf("wrong password: %d", res.StatusCode)
		}
		if n := len(o.seen()); n != 0 {
			t.Fatalf("refused visitors reached the local service %d times", n)
		}
		req.SetBasicAuth("ada", password)
		if res := publicDo(t, s, host, "Authorization", req.Header.Get("Authorization")); res.StatusCode != 200 {
			t.Fatalf("right password: %d", res.StatusCode)
		}
		if got := o.seen(); len(got) != 1 || got[0] != "" {
			t.Fatalf("local service saw %q", got)
		}
		a.Wait(t, "GET    / 401")
		a.Wait(t, "GET    / 200")
		// Neither the password nor its base64 form is anywhere on the
		// server's disk: only an argon2id hash crossed the wire.
		needles := [][]byte{[]byte(password), []byte(req.Header.Get("Authorization")[len("Basic "):])}
		filepath.Walk(data, func(path string, fi os.FileInfo, err error) error {
			if err != nil || fi.IsDir() {
				return nil
			}
			b, _ := os.ReadFile(path)
			for _, n := range needles {
				if bytes.Contains(b, n) {
					t.Errorf("%s holds the tunnel's password", path)
				}
			}
			return nil
		})
	})
	t.Run("AllowCIDR", func(t *testing.T) {
		o, port := startAccessOrigin(t)
		a := warrentest.StartAgent(t, s, key, "http", port, "--subdomain", "office", "--allow-cidr", "10.0.0.0/8")
		a.Wait(t, "Forwarding http://office.localhost:"+srvPort)
		if res := publicDo(t, s, "office.localhost:"+srvPort); res.StatusCode != 403 {
			t.Fatalf("unlisted address: %d", res.StatusCode)
		}
		if n := len(o.seen()); n != 0 {
			t.Fatalf("refused visitor reached the local service")
		}
	})
	t.Run("DenyCIDRBehindTrustedProxy", func(t *testing.T) {
		o, port := startAccessOrigin(t)
		a := warrentest.StartAgent(t, s, key, "http", port, "--subdomain", "proxied", "--deny-cidr", "203.0.113.0/24")
		a.Wait(t, "Forwarding http://proxied.localhost:"+srvPort)
		host := "proxied.localhost:" + srvPort
		if res := publicDo(t, s, host, "X-Forwarded-For", "203.0.113.50"); res.StatusCode != 403 {
			t.Fatalf("denied forwarded address: %d", res.StatusCode)
		}
		if res := publicDo(t, s, host, "X-Forwarded-For", "198.51.100.50"); res.StatusCode != 200 {
			t.Fatalf("allowed forwarded address: %d", res.StatusCode)
		}
		if n := len(o.seen()); n != 1 {
			t.Fatalf("local service reached %d times, want 1", n)
		}
	})
	t.Run("BadFlag", func(t *testing.T) {
		r := warrentest.Run(t, []string{"WARREN_SERVER=" + s.URL, "WARREN_API_KEY=" + key, "HOME=" + t.TempDir()},
			"http", "3000", "--allow-cidr", "not-a-prefix")
		if r.Code != 2 {
			t.Fatalf("exit %d, want 2\n%s", r.Code, r.Stderr)
		}
	})
}
