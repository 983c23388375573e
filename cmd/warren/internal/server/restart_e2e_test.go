package server

import (
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"warren/cmd/warren/internal/warrentest"
)

var tcpURLRe = regexp.MustCompile(`Forwarding tcp://[^:]+:(\d+)`)

// echoListener serves an echo on 127.0.0.1 and returns its port.
func echoListener(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(c, c); c.Close() }()
		}
	}()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

// TestTCPTunnelKeepsItsPortAcrossARestart: an agent's TCP tunnel reopened
// after a server restart came back on the range's first free port
// (tcp://localhost:20005 became :20000), breaking every client configured
// with the old one. The reopen asks for its previous port and gets it.
func TestTCPTunnelKeepsItsPortAcrossARestart(t *testing.T) {
	lo := warrentest.FreePortRange(t, 3)
	ports := "WARREN_TCP_PORTS=" + strconv.Itoa(lo) + "-" + strconv.Itoa(lo+2)
	data := t.TempDir()
	s := warrentest.StartServerAt(t, data, "127.0.0.1:0", ports)
	key := warrentest.KeyRe.FindString(s.WaitOutput(t, "ak_"))
	local := echoListener(t)

	// The first tunnel takes lo and goes away: the kept one is on lo+1.
	first := warrentest.StartAgent(t, s, key, "tcp", local)
	first.Wait(t, "Forwarding tcp://")
	kept := warrentest.StartAgent(t, s, key, "tcp", local)
	m := tcpURLRe.FindStringSubmatch(kept.Wait(t, "Forwarding tcp://"))
	if m == nil || m[1] != strconv.Itoa(lo+1) {
		t.Fatalf("second tunnel %v, want port %d", m, lo+1)
	}
	first.Cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-first.Exited():
	case <-time.After(10 * time.Second):
		t.Fatal("first agent did not exit")
	}

	s.Stop(t)
	kept.Wait(t, "(shutdown)")
	s2 := warrentest.StartServerAt(t, data, s.Addr, ports)
	defer s2.Stop(t)
	out := kept.Wait(t, "(reopened)")
	all := tcpURLRe.FindAllStringSubmatch(out, -1)
	if got := all[len(all)-1][1]; got != m[1] {
		t.Fatalf("reopened on port %s, want its previous %s; agent:\n%s", got, m[1], out)
	}
	c, err := net.DialTimeout("tcp", "127.0.0.1:"+m[1], 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c, "same port")
	buf := make([]byte, 9)
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "same port" {
		t.Fatalf("echo through the kept port: %q %v", buf, err)
	}
}

// TestTunnelComingBackAfterARestartIs503: right after a restart, a tunnel
// whose agent had not reopened yet answered 404 (unknown host), which
// clients and proxies do not retry. A name closed `shutdown` within the
// reconnect window answers 503 with Retry-After, saying the agent is
// reconnecting, from the first request the new process serves.
func TestTunnelComingBackAfterARestartIs503(t *testing.T) {
	data := t.TempDir()
	s := warrentest.StartServer(t, data)
	key := warrentest.KeyRe.FindString(s.WaitOutput(t, "ak_"))
	a := warrentest.StartAgent(t, s, key, "http", echoListener(t), "--subdomain", "coming-back")
	a.Wait(t, "Forwarding http://coming-back.")
	s.Stop(t)
	a.Wait(t, "(shutdown)")
	// The agent is not back yet when the first requests arrive.
	a.Cmd.Process.Kill()
	<-a.Exited()

	s2 := warrentest.StartServerAt(t, data, s.Addr)
	defer s2.Stop(t)
	req, _ := http.NewRequest("GET", "http://"+s2.Addr+"/", nil)
	req.Host = "coming-back.localhost"
	res, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" ||
		!strings.Contains(string(body), "reconnecting") {
		t.Fatalf("a tunnel coming back: %d Retry-After %q\n%s", res.StatusCode, res.Header.Get("Retry-After"), body)
	}
}
