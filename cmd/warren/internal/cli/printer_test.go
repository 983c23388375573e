package cli

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"warren/edge/wire"
)

// blockingWriter blocks every Write until released, like a pipe nobody reads.
type blockingWriter struct {
	release chan struct{}
	mu      sync.Mutex
	buf     bytes.Buffer
}

func (w *blockingWriter) Write(p []byte) (int, error) {
	<-w.release
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func (w *blockingWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

func TestPrinterDropsLinesWhileOutputBlocks(t *testing.T) {
	out := &blockingWriter{release: make(chan struct{})}
	var errOut bytes.Buffer
	p := newPrinter(out, &errOut)
	// More lines than the queue holds: none of these calls may block.
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range printerQueue + 100 {
			p.printf("line\n")
		}
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("printf blocked on a blocked output")
	}
	// The writer holds one line, the queue printerQueue: the rest dropped.
	if n := p.total.Load(); n < 99 || n > 100 {
		t.Errorf("%d lines counted as dropped, want 99 or 100", n)
	}
	close(out.release)
	// Once the output drains, lines are printed again.
	for deadline := time.Now().Add(5 * time.Second); len(p.lines) > 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the queue did not drain once the output took lines")
		}
	}
	p.printf("after\n")
	p.close(5 * time.Second)
	got := out.String()
	if !strings.Contains(got, " lines dropped: output was blocked)\n") || !strings.HasSuffix(got, "line\nafter\n") {
		t.Errorf("output does not report the drop, or lost a line printed after it:\n%s", got[max(0, len(got)-200):])
	}
	if !strings.Contains(errOut.String(), "output lines dropped: stdout was blocked") {
		t.Errorf("stderr = %q, want the dropped-lines summary", errOut.String())
	}
}

func TestPrinterCloseDoesNotWaitOnABlockedOutput(t *testing.T) {
	out := &blockingWriter{release: make(chan struct{})}
	var errOut bytes.Buffer
	p := newPrinter(out, &errOut)
	p.printf("stuck\n")
	p.printf("queued\n")
	start := time.Now()
	p.close(100 * time.Millisecond)
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("close took %v with the output blocked", d)
	}
	if !strings.Contains(errOut.String(), "dropped") {
		t.Errorf("stderr = %q, want the dropped-lines summary", errOut.String())
	}
	// Let the abandoned writer finish, so no goroutine outlives the test.
	close(out.release)
	<-p.done
}

func TestAgentRequestLineMarksReplays(t *testing.T) {
	at := time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC)
	plain := requestLineText(wire.RequestLine{At: at, Method: "POST", Path: "/hook", Status: 200, ID: "req_B"})
	faithful := requestLineText(wire.RequestLine{At: at, Method: "POST", Path: "/hook", Status: 200, ID: "req_B", ReplayOf: "req_A"})
	edited := requestLineText(wire.RequestLine{At: at, Method: "POST", Path: "/hook", Status: 200, ID: "req_B", ReplayOf: "req_A", Overrides: []string{"body"}})
	if strings.Contains(plain, "replay") {
		t.Errorf("a plain request is marked: %q", plain)
	}
	if !strings.Contains(faithful, "replay of req_A") || strings.Contains(faithful, "edited") {
		t.Errorf("faithful replay line %q", faithful)
	}
	if !strings.Contains(edited, "replay of req_A") || !strings.Contains(edited, "edited: body") {
		t.Errorf("edited replay line %q", edited)
	}
}
