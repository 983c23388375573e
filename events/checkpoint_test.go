package events_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"warren/domain"
	"warren/events"
)

func mustSigner(t *testing.T) *events.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return events.NewSigner(priv)
}

func TestLoadOrCreateSigner(t *testing.T) {
	t.Run("CreatesThenLoads", func(t *testing.T) {
		dir := t.TempDir()
		s1, err := events.LoadOrCreateSigner(dir)
		if err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(filepath.Join(dir, events.CheckpointKeyFile))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Fatalf("key file mode %v, want 0600", fi.Mode().Perm())
		}
		s2, err := events.LoadOrCreateSigner(dir)
		if err != nil {
			t.Fatal(err)
		}
		if !s1.Public().Equal(s2.Public()) {
			t.Fatal("second start made a new key")
		}
	})
	t.Run("ConcurrentStartsAgree", func(t *testing.T) {
		dir := t.TempDir()
		const n = 8
		keys := make(chan ed25519.PublicKey, n)
		for range n {
			go func() {
				s, err := events.LoadOrCreateSigner(dir)
				if err != nil {
					t.Error(err)
					keys <- nil
					return
				}
				keys <- s.Public()
			}()
		}
		first := <-keys
		for range n - 1 {
			if k := <-keys; !k.Equal(first) {
				t.Fatal("concurrent starts made different keys")
			}
		}
		if ents, _ := os.ReadDir(dir); len(ents) != 1 {
			t.Fatalf("left %d files behind", len(ents))
		}
	})
	t.Run("ErrMissing", func(t *testing.T) {
		if _, err := events.LoadSigner(t.TempDir()); err == nil {
			t.Fatal("LoadSigner on an empty dir succeeded")
		}
	})
}

func TestParsePublicKey(t *testing.T) {
	s := mustSigner(t)
	for name, in := range map[string]string{
		"VerifierKey": events.VerifierKey("warren.example", s.Public()),
		"Bare":        base64.StdEncoding.EncodeToString(s.Public()),
	} {
		t.Run(name, func(t *testing.T) {
			pub, err := events.ParsePublicKey(in + "\n")
			if err != nil || !pub.Equal(s.Public()) {
				t.Fatalf("ParsePublicKey(%q) = %x, %v", in, pub, err)
			}
		})
	}
	t.Run("ErrKeyHash", func(t *testing.T) {
		k := events.VerifierKey("warren.example", s.Public())
		bad := strings.Replace(k, "warren.example", "other.example", 1)
		if _, err := events.ParsePublicKey(bad); domain.ErrorCode(err) != domain.CodeInvalid {
			t.Fatalf("renamed key: %v", err)
		}
	})
}

func TestLog_Checkpoint(t *testing.T) {
	const before = 20
	// build opens a log of 20 events; damage leaves it unchecked at cleanup.
	buildFor := func(t *testing.T, damage bool) (*events.Log, string, []events.Event) {
		open := mustOpen
		if damage {
			open = openUnchecked
		}
		path := filepath.Join(t.TempDir(), "warren.db")
		l := open(t, path, events.Options{})
		var evs []events.Event
		for i := 0; i < before; i++ {
			evs = append(evs, mustAppend(t, l, reservation("acc_c", fmt.Sprintf("c%03d", i)))...)
		}
		return l, path, evs
	}
	build := func(t *testing.T) (*events.Log, string, []events.Event) { return buildFor(t, false) }
	signer := mustSigner(t)

	t.Run("Format", func(t *testing.T) {
		l, _, _ := build(t)
		text, err := l.Checkpoint(signer, "warren.example")
		if err != nil {
			t.Fatal(err)
		}
		h, _ := l.Head()
		lines := strings.Split(text, "\n")
		if len(lines) != 6 || lines[0] != "warren.example" || lines[1] != "20" || lines[3] != "" ||
			!strings.HasPrefix(lines[4], "— warren.example ") || lines[5] != "" {
			t.Fatalf("checkpoint text:\n%s", text)
		}
		c, err := events.ParseCheckpoint(text, signer.Public())
		if err != nil || c.Hash != h.Hash || c.Size != h.Count {
			t.Fatalf("parsed %+v, %v; head %+v", c, err, h)
		}
	})
	t.Run("Verifies", func(t *testing.T) {
		l, _, _ := build(t)
		text, _ := l.Checkpoint(signer, "warren.example")
		c, err := events.VerifyCheckpoint(l, text, signer.Public(), nil)
		if err != nil || c.Size != before {
			t.Fatalf("VerifyCheckpoint = %+v, %v", c, err)
		}
	})
	t.Run("VerifiesAfterMoreEvents", func(t *testing.T) {
		l, _, _ := build(t)
		text, _ := l.Checkpoint(signer, "warren.example")
		for i := 0; i < 30; i++ {
			mustAppend(t, l, reservation("acc_c", fmt.Sprintf("d%03d", i)))
		}
		if _, err := events.VerifyCheckpoint(l, text, signer.Public(), nil); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("EmptyLog", func(t *testing.T) {
		l, _ := openLog(t, events.Options{})
		text, err := l.Checkpoint(signer, "warren.example")
		if err != nil {
			t.Fatal(err)
		}
		mustAppend(t, l, reservation("acc_c", "e1"))
		if _, err := events.VerifyCheckpoint(l, text, signer.Public(), nil); err != nil {
			t.Fatal(err)
		}
	})
	for _, idx := range []int{0, 7, before - 1} {
		t.Run(fmt.Sprintf("ErrFlippedEvent%d", idx), func(t *testing.T) {
			l, path, evs := buildFor(t, true)
			text, _ := l.Checkpoint(signer, "warren.example")
			mustAppend(t, l, reservation("acc_c", "after"))
			l.Close()
			flipByte(t, path, idx, -2) // inside the JSON data
			l2 := openUnchecked(t, path, events.Options{ReadOnly: true})
			_, err := events.VerifyCheckpoint(l2, text, signer.Public(), nil)
			var ve *events.VerifyError
			if !errors.As(err, &ve) {
				t.Fatalf("want *VerifyError, got %v", err)
			}
			if ve.Index != uint64(idx) || ve.ID != evs[idx].ID.String() {
				t.Fatalf("blamed #%d %s, want #%d %s (%s)", ve.Index, ve.ID, idx, evs[idx].ID, ve.Reason)
			}
		})
	}
	t.Run("ErrShorterLog", func(t *testing.T) {
		l, _, _ := build(t)
		// A checkpoint claiming more events than the log holds, signed with
		// the right key: only the log can refute it.
		h, _ := l.Head()
		c := events.Checkpoint{Origin: "warren.example", Size: before + 1, Hash: h.Hash}
		_, err := events.VerifyCheckpoint(l, signer.Sign(c), signer.Public(), nil)
		var ve *events.VerifyError
		if !errors.As(err, &ve) || ve.Index != before {
			t.Fatalf("want VerifyError at #%d, got %v", before, err)
		}
	})
	t.Run("ErrOtherKey", func(t *testing.T) {
		l, _, _ := build(t)
		other := mustSigner(t)
		text, _ := l.Checkpoint(other, "warren.example")
		_, err := events.VerifyCheckpoint(l, text, signer.Public(), nil)
		if domain.ErrorCode(err) != domain.CodeForbidden {
			t.Fatalf("checkpoint by another key: %v", err)
		}
	})
	t.Run("ErrAlteredText", func(t *testing.T) {
		l, _, _ := build(t)
		text, _ := l.Checkpoint(signer, "warren.example")
		altered := strings.Replace(text, "\n20\n", "\n19\n", 1)
		_, err := events.VerifyCheckpoint(l, altered, signer.Public(), nil)
		if domain.ErrorCode(err) != domain.CodeForbidden {
			t.Fatalf("altered checkpoint: %v", err)
		}
	})
	t.Run("ErrMalformed", func(t *testing.T) {
		l, _, _ := build(t)
		for _, text := range []string{"", "warren.example\n20\n", "warren.example\nx\nAAAA\n\n— warren.example AAAA\n"} {
			if _, err := events.VerifyCheckpoint(l, text, signer.Public(), nil); domain.ErrorCode(err) != domain.CodeInvalid {
				t.Fatalf("%q: %v", text, err)
			}
		}
	})
}

// BenchmarkVerifyCheckpoint measures checking a checkpoint of 200,000
// events (signature plus the prefix's hash chain).
func BenchmarkVerifyCheckpoint(b *testing.B) {
	const n, batch = 200_000, 5000
	l, _ := openLog(b, events.Options{})
	for done := 0; done < n; done += batch {
		drafts := make([]events.Draft, batch)
		for i := range drafts {
			drafts[i] = reservation("acc_bench", fmt.Sprintf("s%07d", done+i))
		}
		mustAppend(b, l, drafts...)
	}
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer := events.NewSigner(priv)
	text, err := l.Checkpoint(signer, "warren.example")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := events.VerifyCheckpoint(l, text, signer.Public(), nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// FuzzParseCheckpoint: any text parses or fails with a *domain.Error, never
// panics, and only texts signed by the key are accepted.
func FuzzParseCheckpoint(f *testing.F) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer := events.NewSigner(priv)
	good := signer.Sign(events.Checkpoint{Origin: "warren.example", Size: 42})
	f.Add(good)
	f.Add("warren.example\n42\nAAAA\n\n— warren.example AAAA\n")
	f.Add("")
	f.Add("\n\n")
	f.Add(events.VerifierKey("warren.example", signer.Public()))
	f.Fuzz(func(t *testing.T, text string) {
		c, err := events.ParseCheckpoint(text, signer.Public())
		var de *domain.Error
		if err != nil && !errors.As(err, &de) {
			t.Fatalf("error is not a *domain.Error: %v", err)
		}
		if err == nil && signer.Sign(c) != text && !strings.HasPrefix(text, c.Body()+"\n") {
			t.Fatalf("accepted a text that does not start with what it states: %q", text)
		}
		_, _ = events.ParsePublicKey(text)
	})
}
