package cli

import (
	"net"
	"strings"
	"testing"

	"warren/cmd/warren/internal/warrentest"
)

// A server that is not there is named, with what to check, instead of
// only Go's `dial tcp …: connect: connection refused`.
func TestUnreachableServerIsExplained(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	ln.Close()
	env := warrentest.CLIEnv(t)
	want := "cannot reach the Warren server at " + dead
	for _, args := range [][]string{
		{"login", "--server", dead, "--key", "ak_x"},
		{"requests"},
		{"requests", "show", "req_x"},
	} {
		r := warrentest.Run(t, append(env, "WARREN_SERVER="+dead, "WARREN_API_KEY=ak_x"), args...)
		if r.Code != 1 || !strings.Contains(r.Stderr, want) || !strings.Contains(r.Stderr, "is it running") {
			t.Errorf("warren %s: exit %d, stderr %q; want exit 1 saying %q and what to check", strings.Join(args, " "), r.Code, r.Stderr, want)
		}
	}
}

// A key/value table (the statement, usage) has no header: it starts with
// its first row, not with a line of spaces.
func TestTableWithoutHeaderStartsWithItsFirstRow(t *testing.T) {
	var b strings.Builder
	tb := newTable(&b, "", "")
	tb.row("requests", "6")
	tb.row("replays", "2")
	if err := tb.flush(); err != nil {
		t.Fatal(err)
	}
	if want := "requests  6\nreplays   2\n"; b.String() != want {
		t.Fatalf("table:\n%q\nwant\n%q", b.String(), want)
	}
}
