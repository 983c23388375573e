package server

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"warren/cmd/warren/internal/warrentest"
)

// TestServe_MetricsAddrFromTheEnvironment runs the real binary with
// WARREN_METRICS_ADDR: its metrics listener serves /metrics and /readyz,
// and without the variable there is none.
func TestServe_MetricsAddrFromTheEnvironment(t *testing.T) {
	s := warrentest.StartServerAt(t, t.TempDir(), "127.0.0.1:0", "WARREN_METRICS_ADDR=127.0.0.1:0")
	addrRe := regexp.MustCompile(`msg="serving metrics" addr=(127\.0\.0\.1:\d+)`)
	var addr string
	deadline := time.Now().Add(10 * time.Second)
	for addr == "" {
		if m := addrRe.FindStringSubmatch(s.Stderr.String()); m != nil {
			addr = m[1]
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no metrics address logged; stderr:\n%s", s.Stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	c := &http.Client{Timeout: 10 * time.Second}
	for path, want := range map[string]string{"/metrics": "warren_build_info", "/readyz": `"ready"`} {
		res, err := c.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil || res.StatusCode != http.StatusOK || !strings.Contains(string(b), want) {
			t.Errorf("GET %s = %d (%v), body lacks %q", path, res.StatusCode, err, want)
		}
	}
	s.Stop(t)
	plain := warrentest.StartServer(t, t.TempDir())
	if strings.Contains(plain.Stderr.String(), "serving metrics") {
		t.Error("a metrics listener without --metrics-addr")
	}
	plain.Stop(t)
}

func TestServe_BadMetricsAddr(t *testing.T) {
	data := t.TempDir()
	r := warrentest.Run(t, nil, "serve", "--data", data, "--addr", "127.0.0.1:0", "--metrics-addr", "nowhere")
	if r.Code != 2 || !strings.Contains(r.Stderr, "--metrics-addr") {
		t.Errorf("exit %d, stderr %q; want 2 naming --metrics-addr", r.Code, r.Stderr)
	}
	if _, err := os.Stat(filepath.Join(data, "warren.db")); err == nil {
		t.Error("serve created a log before refusing its flags")
	}
}
