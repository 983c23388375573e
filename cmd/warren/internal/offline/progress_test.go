package offline

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

func TestProgressBar_Set(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		var buf bytes.Buffer
		p := newProgressBar(&buf, "rebuilding", 200)
		p.set(100)
		p.set(199) // within 100 ms of the last draw and not done: skipped
		p.set(200)
		p.done()
		out := buf.String()
		if !strings.Contains(out, "\rrebuilding [###############...............]  50% 100/200 events") {
			t.Errorf("half-way draw missing: %q", out)
		}
		if strings.Contains(out, "199/200") {
			t.Errorf("drew more than ten times a second: %q", out)
		}
		if !strings.Contains(out, "100% 200/200 events") || !strings.HasSuffix(out, "\n") {
			t.Errorf("final draw missing: %q", out)
		}
	})
	t.Run("Nil", func(t *testing.T) {
		var p *progressBar
		p.set(1) // must not panic
		p.done()
	})
}

func TestIsTerminal(t *testing.T) {
	var buf bytes.Buffer
	if isTerminal(&buf) {
		t.Error("a buffer is a terminal")
	}
	f, err := os.CreateTemp(t.TempDir(), "x")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if isTerminal(f) {
		t.Error("a regular file is a terminal")
	}
}
