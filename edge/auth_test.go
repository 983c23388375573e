package edge

import (
	"context"
	"crypto/rand"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"warren/domain"
	"warren/edge/wire"
	"warren/projections"
)

// upgradeWith sends the agent's connect request with a raw Authorization
// value and returns the status line and the rest of the answer's head.
func upgradeWith(tb testing.TB, addr, authorization string) (string, string) {
	tb.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "GET "+wire.ConnectPath+" HTTP/1.1\r\nHost: "+testBase+"\r\nAuthorization: "+authorization+
		"\r\nConnection: Upgrade\r\nUpgrade: "+wire.Upgrade+"\r\n\r\n")
	buf := make([]byte, 1024)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, _ := c.Read(buf)
	status, rest, _ := strings.Cut(string(buf[:n]), "\r\n")
	return status, rest
}

func TestAgentEndpointTakesTheBearerSchemeInAnyCase(t *testing.T) {
	te := MustEdge(t)
	_, key := te.MustAccount(t, "case@example.com", "free")
	for _, scheme := range []string{"bearer", "BEARER", "Bearer", "bEaReR"} {
		status, _ := upgradeWith(t, te.addr, scheme+" "+key)
		if !strings.Contains(status, "101") {
			t.Fatalf("%s: status line %q", scheme, status)
		}
	}
}

func TestAgentEndpointAnswersUnknownAndRevokedKeysAlike(t *testing.T) {
	te := MustEdge(t)
	acc, key := te.MustAccount(t, "same@example.com", "free")
	mustKey(t, te, acc) // an account cannot revoke its last key
	id, err := projections.View(te.log.DB(), func(tx *bboltTx) (string, error) {
		k, err := projections.KeyByHash(tx, domain.HashKeySecret(key))
		return k.ID, err
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := te.log.Execute(context.Background(), projections.RevokeKey(acc, id)); err != nil {
		t.Fatal(err)
	}
	_, revoked := upgradeWith(t, te.addr, "Bearer "+key)
	_, other := upgradeWith(t, te.addr, "Bearer "+freshSecret(t))
	body := func(head string) string { _, b, _ := strings.Cut(head, "\r\n\r\n"); return strings.TrimSpace(b) }
	if body(revoked) != body(other) || !strings.Contains(body(revoked), `"unauthorized"`) {
		t.Fatalf("revoked key answered\n%s\nunknown key answered\n%s", body(revoked), body(other))
	}
}

func TestAgentEndpointFailuresShareTheAPIsLimit(t *testing.T) {
	var auth *projections.Authenticator
	te := MustEdge(t, func(c *Config) {
		auth = projections.NewAuthenticator(c.Log.DB(), projections.AuthConfig{FailureBurst: 3})
		c.Auth = auth
	})
	_, key := te.MustAccount(t, "limit@example.com", "free")
	for i := 0; i < 3; i++ {
		if status, _ := upgradeWith(t, te.addr, "Bearer "+freshSecret(t)); !strings.Contains(status, "401") {
			t.Fatalf("attempt %d: status line %q", i, status)
		}
	}
	status, head := upgradeWith(t, te.addr, "Bearer "+key)
	if !strings.Contains(status, "429") || !strings.Contains(head, "Retry-After: ") || !strings.Contains(head, `"error":"quota"`) {
		t.Fatalf("over the limit: %q\n%s", status, head)
	}
	// The API holds the same Authenticator: the address is over its limit there too.
	if _, _, err := auth.Authenticate("Bearer "+key, "127.0.0.1:40000"); err == nil || !strings.Contains(err.Error(), "quota") {
		t.Fatalf("the shared limit: %v", err)
	}
}

// freshSecret is a well-formed key secret that no account holds.
func freshSecret(tb testing.TB) string {
	tb.Helper()
	s, err := domain.NewKeySecret(rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}
