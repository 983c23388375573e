package server

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"warren/events"
)

// TestServer_SignerLoadedAtStart: Run makes the checkpoint key on the first
// start (0600) and loads the same key on the next, once, into Main.Signer.
func TestServer_SignerLoadedAtStart(t *testing.T) {
	data := t.TempDir()
	start := func() *Main {
		m := NewMain(Config{DataDir: data, Addr: "127.0.0.1:0", Domain: "warren.test"})
		if err := m.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		if m.Signer == nil {
			t.Fatal("Main.Signer is nil after Run")
		}
		return m
	}
	m := start()
	first := m.Signer.Public()
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(data, "checkpoint.key"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("checkpoint.key: %v, %v", fi, err)
	}
	m = start()
	defer m.Close()
	if !bytes.Equal(m.Signer.Public(), first) {
		t.Error("a restart loaded another key")
	}
	onDisk, err := events.LoadSigner(data)
	if err != nil || !bytes.Equal(onDisk.Public(), first) {
		t.Errorf("the key on disk differs from the one loaded: %v", err)
	}
}
