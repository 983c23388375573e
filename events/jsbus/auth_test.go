package jsbus_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/nats-io/nkeys"

	"warren/domain"
	"warren/events/jsbus"
)

// seedFile makes a user nkey, writes its seed to a file and returns the
// file and the public key.
func seedFile(t *testing.T) (string, string) {
	t.Helper()
	kp, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	seed, err := kp.Seed()
	if err != nil {
		t.Fatal(err)
	}
	pub, err := kp.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "nats.nk")
	if err := os.WriteFile(path, seed, 0o600); err != nil {
		t.Fatal(err)
	}
	return path, pub
}

// TestServerNKeys: with nkeys listed, only their holders connect; a
// server beyond loopback without nkeys is refused before it starts.
func TestServerNKeys(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		edge, edgePub := seedFile(t)
		s, err := jsbus.StartServer(jsbus.ServerConfig{Dir: t.TempDir(), NKeys: []string{edgePub}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Shutdown)
		pub, err := jsbus.NewPublisher(jsbus.Config{URL: s.URL(), NKeySeedFile: edge})
		if err != nil {
			t.Fatalf("the listed key cannot connect: %v", err)
		}
		pub.Close()
		t.Run("ErrUnauthorized", func(t *testing.T) {
			other, _ := seedFile(t)
			for name, cfg := range map[string]jsbus.Config{
				"unlisted key": {URL: s.URL(), NKeySeedFile: other},
				"no key":       {URL: s.URL()},
			} {
				if p, err := jsbus.NewPublisher(cfg); domain.ErrorCode(err) != domain.CodeUnavailable {
					if p != nil {
						p.Close()
					}
					t.Fatalf("%s: %v, want refused", name, err)
				}
			}
		})
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		if _, err := jsbus.StartServer(jsbus.ServerConfig{Dir: t.TempDir(), Host: "0.0.0.0"}); domain.ErrorCode(err) != domain.CodeInvalid {
			t.Fatalf("beyond loopback without nkeys: %v, want CodeInvalid", err)
		}
		if _, err := jsbus.StartServer(jsbus.ServerConfig{Dir: t.TempDir(), NKeys: []string{"not-a-key"}}); domain.ErrorCode(err) != domain.CodeInvalid {
			t.Fatalf("a bad nkey: %v, want CodeInvalid", err)
		}
	})
}
