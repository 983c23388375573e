package cli

import (
	"context"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"warren/cmd/warren/internal/warrentest"
	"warren/httpapi/client"
)

var tcpPortRe = regexp.MustCompile(`tcp://[^:\s]+:(\d+)`)

// TestReservedTCPPortFromTheCLI: TCP ports could be reserved over the API
// only; the CLI listed subdomains alone, could not reserve or release a
// port, and `warren tcp` could not ask for one. Now a port is reserved,
// listed and used by name, another account asking for it is told why, and
// the tunnel comes back on it after a server restart.
func TestReservedTCPPortFromTheCLI(t *testing.T) {
	lo := warrentest.FreePortRange(t, 4)
	ports := "WARREN_TCP_PORTS=" + strconv.Itoa(lo) + "-" + strconv.Itoa(lo+3)
	data := t.TempDir()
	s := warrentest.StartServerAt(t, data, "127.0.0.1:0", ports)
	key := warrentest.KeyRe.FindString(s.WaitOutput(t, "ak_"))
	env := append(warrentest.CLIEnv(t), "WARREN_SERVER="+s.URL, "WARREN_API_KEY="+key)
	want := lo + 2
	name := "tcp:" + strconv.Itoa(want)

	out := warrentest.CLIOK(t, env, "reservations", "add", "--tcp", "--port", strconv.Itoa(want))
	if !strings.Contains(out, "Reserved TCP port "+strconv.Itoa(want)) || !strings.Contains(out, "warren tcp LOCAL_PORT --port "+strconv.Itoa(want)) {
		t.Fatalf("add --tcp --port said %q", out)
	}
	var lowest client.Reservation
	warrentest.CLIJSON(t, env, &lowest, "reservations", "add", "--tcp")
	if lowest.Port != lo || lowest.Name != "tcp:"+strconv.Itoa(lo) {
		t.Fatalf("add --tcp = %+v, want the lowest free port %d", lowest, lo)
	}
	warrentest.CLIOK(t, env, "reservations", "add", "my-db")
	list := warrentest.CLIOK(t, env, "reservations")
	for _, row := range [][]string{{"KIND", "NAME"}, {"tcp", name}, {"tcp", lowest.Name}, {"subdomain", "my-db"}} {
		if !regexp.MustCompile(`(?m)^` + row[0] + `\s+` + regexp.QuoteMeta(row[1]) + `\b`).MatchString(list) {
			t.Fatalf("reservations lacks %v:\n%s", row, list)
		}
	}
	warrentest.CLIOK(t, env, "reservations", "rm", "--tcp", strconv.Itoa(lo))
	warrentest.CLIOK(t, env, "reservations", "rm", "my-db")
	if list := warrentest.CLIOK(t, env, "reservations"); strings.Contains(list, lowest.Name) || !strings.Contains(list, name) {
		t.Fatalf("after rm:\n%s", list)
	}

	local := echoLocal(t)
	t.Run("ErrReservedByAnotherAccount", func(t *testing.T) {
		op, err := client.New(s.URL, key, nil)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		other, err := op.CreateAccount(ctx, client.NewAccount{Email: "other@example.com", Plan: "pro"})
		if err != nil {
			t.Fatal(err)
		}
		otherEnv := append(warrentest.CLIEnv(t), "WARREN_SERVER="+s.URL, "WARREN_API_KEY="+other.Key)
		warrentest.CLIFails(t, otherEnv, "port "+strconv.Itoa(want)+" is reserved by another account",
			"tcp", local, "--port", strconv.Itoa(want))
		warrentest.CLIFails(t, otherEnv, "reserved by another account", "reservations", "add", "--tcp", "--port", strconv.Itoa(want))
	})

	a := warrentest.StartAgent(t, s, key, "tcp", local, "--remote-addr", "localhost:"+strconv.Itoa(want))
	if m := tcpPortRe.FindStringSubmatch(a.Wait(t, "Forwarding tcp://")); m == nil || m[1] != strconv.Itoa(want) {
		t.Fatalf("Forwarding %v, want port %d:\n%s", m, want, a.Output())
	}
	echoThrough(t, want, "reserved")

	s.Stop(t)
	a.Wait(t, "(shutdown)")
	s2 := warrentest.StartServerAt(t, data, s.Addr, ports)
	defer s2.Stop(t)
	all := tcpPortRe.FindAllStringSubmatch(a.Wait(t, "(reopened)"), -1)
	if got := all[len(all)-1][1]; got != strconv.Itoa(want) {
		t.Fatalf("reopened on %s, want the reserved %d:\n%s", got, want, a.Output())
	}
	echoThrough(t, want, "after restart")
	a.Cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-a.Exited():
	case <-time.After(10 * time.Second):
		t.Fatal("agent did not exit on Ctrl-C")
	}
}

// TestTCPPortFlagRefusesAnotherPort: `warren tcp --port N` for a port the
// account did not reserve used to be served on whatever port was free,
// silently; it now fails and says how to reserve N.
func TestTCPPortFlagRefusesAnotherPort(t *testing.T) {
	lo := warrentest.FreePortRange(t, 2)
	s := warrentest.StartServerAt(t, t.TempDir(), "127.0.0.1:0", "WARREN_TCP_PORTS="+strconv.Itoa(lo)+"-"+strconv.Itoa(lo+1))
	defer s.Stop(t)
	key := warrentest.KeyRe.FindString(s.WaitOutput(t, "ak_"))
	env := append(warrentest.CLIEnv(t), "WARREN_SERVER="+s.URL, "WARREN_API_KEY="+key)
	warrentest.CLIFails(t, env, "reservations add --tcp --port "+strconv.Itoa(lo+1), "tcp", echoLocal(t), "--port", strconv.Itoa(lo+1))
	warrentest.CLIFails(t, env, "want [HOST:]PORT", "tcp", "5432", "--remote-addr", "host:nope")
}

// echoLocal is a local echo service; it returns its port.
func echoLocal(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { ln.Close(); <-done })
	go func() {
		defer close(done)
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

// echoThrough sends msg to 127.0.0.1:port and wants it echoed.
func echoThrough(t *testing.T, port int, msg string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c, msg)
	buf := make([]byte, len(msg))
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != msg {
		t.Fatalf("echo through port %d: %q %v", port, buf, err)
	}
}
