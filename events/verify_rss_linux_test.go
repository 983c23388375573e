//go:build linux

package events_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"

	"warren/events"
)

// Verify reads every page of the file through bbolt's mapping; the pages it
// is done with must leave the resident set, or verifying a large log holds
// all of it in memory (1 GB of RSS for a million captures).
func TestVerifyLeavesTheLogOutOfTheResidentSet(t *testing.T) {
	const (
		total = 12_288
		batch = 512
	)
	l, path := openLog(t, events.Options{})
	data := json.RawMessage(`{"pad":"` + strings.Repeat("x", 4000) + `"}`)
	drafts := make([]events.Draft, batch)
	for i := range drafts {
		drafts[i] = events.Draft{Type: events.TunnelOpened, Account: "acc_1", Data: data}
	}
	for range total / batch {
		if _, err := l.Append(context.Background(), drafts...); err != nil {
			t.Fatal(err)
		}
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	before := rssFile(t)
	h, err := l.Verify(nil)
	if err != nil || h.Count != total {
		t.Fatalf("Verify: %+v, %v", h, err)
	}
	if grew := rssFile(t) - before; grew > st.Size()/4 {
		t.Errorf("file-backed RSS grew by %d MiB verifying a %d MiB log; want under a quarter of it", grew>>20, st.Size()>>20)
	}
}

// rssFile reads this process's file-backed resident set (RssFile), in bytes.
func rssFile(t *testing.T) int64 {
	t.Helper()
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for line := range bytes.Lines(status) {
		if v, ok := bytes.CutPrefix(line, []byte("RssFile:")); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(string(v)), " kB"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no RssFile in /proc/self/status")
	return 0
}
