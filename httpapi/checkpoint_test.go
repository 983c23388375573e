package httpapi

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"warren/domain"
	"warren/events"
)

func TestCheckpoint_Get(t *testing.T) {
	e := mustEnv(t)
	_, ka := e.account(t, "op@example.com", "pro", true)
	e.account(t, "b@example.com", "free", false)

	t.Run("OK", func(t *testing.T) {
		st, h, b := e.do(t, "GET", "/api/v1/checkpoint", ka, "")
		wantStatus(t, st, 200, b)
		if ct := h.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
			t.Fatalf("content type %q", ct)
		}
		signer, err := events.LoadSigner(filepath.Dir(e.log.DB().Path()))
		if err != nil {
			t.Fatal(err)
		}
		c, err := events.VerifyCheckpoint(e.log, string(b), signer.Public(), nil)
		if err != nil {
			t.Fatalf("verify %q: %v", b, err)
		}
		head, _ := e.log.Head()
		if c.Origin != "warren.test" || c.Size != head.Count || c.Hash != head.Hash {
			t.Fatalf("checkpoint %+v, head %+v", c, head)
		}
	})
	t.Run("SameKeyEachTime", func(t *testing.T) {
		_, _, b1 := e.do(t, "GET", "/api/v1/checkpoint", ka, "")
		e.account(t, "c@example.com", "free", false)
		_, _, b2 := e.do(t, "GET", "/api/v1/checkpoint", ka, "")
		signer, _ := events.LoadSigner(filepath.Dir(e.log.DB().Path()))
		for _, b := range [][]byte{b1, b2} {
			if _, err := events.VerifyCheckpoint(e.log, string(b), signer.Public(), nil); err != nil {
				t.Fatal(err)
			}
		}
	})
	t.Run("ErrOtherKey", func(t *testing.T) {
		_, _, b := e.do(t, "GET", "/api/v1/checkpoint", ka, "")
		pub, _, _ := ed25519.GenerateKey(rand.Reader)
		if _, err := events.VerifyCheckpoint(e.log, string(b), pub, nil); domain.ErrorCode(err) != domain.CodeForbidden {
			t.Fatalf("foreign key accepted: %v", err)
		}
	})
	t.Run("ErrNoKey", func(t *testing.T) {
		st, _, b := e.do(t, "GET", "/api/v1/checkpoint", "", "")
		wantError(t, st, b, 401, "unauthorized")
	})
}

// TestCheckpointIsForOperatorsOnly: the checkpoint states the whole log's
// event count; a tenant's key gets 403.
func TestCheckpointIsForOperatorsOnly(t *testing.T) {
	e := mustEnv(t)
	_, tenant := e.account(t, "tenant@example.com", "pro", false)
	st, _, b := e.do(t, "GET", "/api/v1/checkpoint", tenant, "")
	wantError(t, st, b, 403, "forbidden")
}

// TestCheckpointSignsWithTheInjectedKey: the route signs with the key it
// was given at start and reads none from disk per request.
func TestCheckpointSignsWithTheInjectedKey(t *testing.T) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer := events.NewSigner(priv)
	e := mustEnv(t, func(c *Config) { c.Signer = signer })
	_, op := e.account(t, "op@example.com", "pro", true)
	st, _, b := e.do(t, "GET", "/api/v1/checkpoint", op, "")
	wantStatus(t, st, 200, b)
	if _, err := events.VerifyCheckpoint(e.log, string(b), signer.Public(), nil); err != nil {
		t.Fatalf("not signed by the injected key: %v", err)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(e.log.DB().Path()), events.CheckpointKeyFile)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a key file was made beside the log: %v", err)
	}
}
