package projections

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"
	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/events"
)

// TestTunnelPathColumnKeepsEachPath: each tunnel's path column holds every
// request's path with its query, in order, so a path filter on one tunnel
// decides without reading the summary; its pages, bounds and cursors are
// the ones a full decode gives.
func TestTunnelPathColumnKeepsEachPath(t *testing.T) {
	l := MustOpenLog(t)
	a, _ := MustAccount(t, l, "a@example.com", domain.PlanPro)
	at := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	var ds []events.Draft
	for i := 0; i < 1300; i++ {
		tun := []string{"hooks", "api"}[i%2]
		r := capturedRequest(tun, 10, 20)
		r.Path = fmt.Sprintf("/%s/%d?page=%d", []string{"stripe", "github", "a"}[i%3], i, i%7)
		r.Method = []string{"GET", "POST"}[i%5%2]
		ds = append(ds, events.CapturedDraft(a, at.Add(time.Duration(i)*time.Second), r, nil, nil))
	}
	for i := 0; i < 10; i++ {
		r := capturedRequest("long", 1, 1)
		r.Path = fmt.Sprintf("/l/%d/%s", i, strings.Repeat("x", 10_000))
		ds = append(ds, events.CapturedDraft(a, at.Add(time.Duration(i)*time.Second), r, nil, nil))
	}
	if _, err := l.Append(context.Background(), ds...); err != nil {
		t.Fatal(err)
	}

	t.Run("PathColumn", func(t *testing.T) {
		mustView(t, l, func(tx *bolt.Tx) error {
			want, err := Requests(tx, a, "hooks", ulid.ULID{}, 10_000)
			if err != nil {
				return err
			}
			var got []string
			c := tx.Bucket(bRequestPaths).Cursor()
			prefix := tunnelPrefix(a, "hooks")
			var recs []pathRecord
			chunks := 0
			for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
				if recs, err = chunkRecords(v, recs); err != nil {
					return err
				}
				if len(recs) != chunkCount(v) || !bytes.Equal(recs[0].id, k[len(prefix):]) {
					t.Fatalf("chunk %x: %d records, count %d", k, len(recs), chunkCount(v))
				}
				for _, r := range recs {
					got = append(got, string(r.path))
				}
				chunks++
			}
			if len(got) != 650 || chunks != 3 {
				t.Fatalf("column holds %d paths in %d chunks, want 650 in 3", len(got), chunks)
			}
			for i, r := range want {
				if got[len(got)-1-i] != r.Path {
					t.Fatalf("column path %d is %q, want %q", i, got[len(got)-1-i], r.Path)
				}
			}
			return nil
		})
	})
	t.Run("LongPathsCutChunks", func(t *testing.T) {
		mustView(t, l, func(tx *bolt.Tx) error {
			prefix := tunnelPrefix(a, "long")
			c := tx.Bucket(bRequestPaths).Cursor()
			chunks := 0
			for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
				if len(v) > pathChunkBytes+10_100 {
					t.Errorf("chunk of %d bytes", len(v))
				}
				chunks++
			}
			if chunks < 3 {
				t.Errorf("10 paths of 10 KB in %d chunks, want ≥ 3", chunks)
			}
			page, err := RequestsFiltered(tx, a, "long", ulid.ULID{}, 10, &RequestFilter{PathContains: "/l/7/"}, 0)
			if err != nil || len(page.Requests) != 1 || !strings.HasPrefix(page.Requests[0].Path, "/l/7/") {
				t.Errorf("filter /l/7/: %d requests, %v", len(page.Requests), err)
			}
			return nil
		})
	})
	t.Run("PagesEqualFullDecode", func(t *testing.T) {
		for _, f := range []RequestFilter{
			{PathContains: "/stripe/"},
			{PathContains: "page=3", Methods: []string{"post"}},
			{PathContains: "/nothing/"},
			{Methods: []string{"GET"}},
		} {
			for _, scan := range []int{0, 37, 300} {
				for _, depth := range []int{0, 1, 255, 256, 257, 400} {
					mustView(t, l, func(tx *bolt.Tx) error {
						all, err := Requests(tx, a, "hooks", ulid.ULID{}, 1000)
						if err != nil {
							return err
						}
						var before ulid.ULID
						rest := all
						if depth > 0 {
							before = ulid.MustParse(strings.TrimPrefix(all[depth].ID, domain.RequestIDPrefix))
							rest = all[depth+1:]
						}
						var want []string
						for i, r := range rest {
							if i < scan || scan == 0 {
								if strings.Contains(r.Path, f.PathContains) && (len(f.Methods) == 0 || strings.EqualFold(r.Method, f.Methods[0])) {
									want = append(want, r.ID)
								}
							}
						}
						if len(want) > 10 {
							want = want[:10]
						}
						page, err := RequestsFiltered(tx, a, "hooks", before, 10, &f, scan)
						if err != nil {
							return err
						}
						var got []string
						for _, r := range page.Requests {
							got = append(got, r.ID)
						}
						if fmt.Sprint(got) != fmt.Sprint(want) {
							t.Errorf("filter %+v scan %d depth %d: got %v, want %v", f, scan, depth, got, want)
						}
						if fmt.Sprint(got) != fmt.Sprint(want) {
							return nil
						}
						if scan > 0 && len(want) < 10 && len(rest) >= scan {
							if last := strings.TrimPrefix(rest[scan-1].ID, domain.RequestIDPrefix); !page.ScanLimited || page.ScanBefore.String() != last {
								t.Errorf("filter %+v scan %d depth %d: limited %v at %s, want at %s", f, scan, depth, page.ScanLimited, page.ScanBefore, last)
							}
						} else if page.ScanLimited || page.ScanBefore != (ulid.ULID{}) {
							t.Errorf("filter %+v scan %d depth %d: limited %v at %s, want neither", f, scan, depth, page.ScanLimited, page.ScanBefore)
						}
						return nil
					})
				}
			}
		}
	})
}
