package edge

import (
	"encoding/json"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The free plan caps an account at 10 connected agents and a key at 5: one
// more is refused with a 429 and a JSON error naming the limit, and a slot
// freed by a session that ended can be taken again.
func TestAgentSessionsCappedPerKeyAndAccount(t *testing.T) {
	te := MustEdge(t)
	acc, key := te.MustAccount(t, "capped@example.com", "free")
	second := mustKey(t, te, acc)
	third := mustKey(t, te, acc)
	var first *rawAgent
	for i := range 5 {
		a := mustRawAgent(t, te, key)
		if i == 0 {
			first = a
		}
	}
	res := rawConnectResponse(t, te.addr, key)
	if res.status != 429 || res.body["error"] != "quota" || !strings.Contains(res.body["message"], "5 connected agents per API key") {
		t.Fatalf("6th agent on one key: %d %v, want 429 quota per key", res.status, res.body)
	}
	for range 5 {
		mustRawAgent(t, te, second)
	}
	res = rawConnectResponse(t, te.addr, third)
	if res.status != 429 || res.body["error"] != "quota" || !strings.Contains(res.body["message"], "10 connected agents at once") {
		t.Fatalf("11th agent on the account: %d %v, want 429 quota per account", res.status, res.body)
	}
	first.mux.Close()
	eventually(t, 5*time.Second, "a freed slot taken again", func() bool {
		return rawConnectResponse(t, te.addr, third).status == 101
	})
}

type connectResponse struct {
	status int
	body   map[string]string
}

// rawConnectResponse asks for an agent upgrade and reads the whole answer.
// An accepted connection stays open until tb's cleanup.
func rawConnectResponse(tb testing.TB, addr, key string) connectResponse {
	tb.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	io.WriteString(c, "GET /api/v1/agent/connect HTTP/1.1\r\nHost: "+testBase+"\r\nAuthorization: Bearer "+key+
		"\r\nConnection: Upgrade\r\nUpgrade: warren-agent/1\r\n\r\n")
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	var head strings.Builder
	buf := make([]byte, 1)
	for !strings.HasSuffix(head.String(), "\r\n\r\n") {
		if _, err := c.Read(buf); err != nil {
			tb.Fatalf("reading the answer: %v (so far %q)", err, head.String())
		}
		head.WriteByte(buf[0])
	}
	var r connectResponse
	line := strings.SplitN(head.String(), "\r\n", 2)[0]
	if f := strings.Fields(line); len(f) > 1 {
		r.status, _ = strconv.Atoi(f[1])
	}
	if r.status != 101 {
		_ = json.NewDecoder(c).Decode(&r.body)
	}
	c.SetReadDeadline(time.Time{})
	return r
}
