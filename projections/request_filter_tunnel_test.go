package projections

import (
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

// TestTunnelIndexKeepsEachPath: the per-tunnel index holds each request's
// path with its query, so a path filter on one tunnel decides without
// reading the summary; its pages are the ones a full decode would give.
func TestTunnelIndexKeepsEachPath(t *testing.T) {
	l := MustOpenLog(t)
	a, _ := MustAccount(t, l, "a@example.com", domain.PlanPro)
	at := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	var ds []events.Draft
	for i := 0; i < 300; i++ {
		tun := []string{"hooks", "api"}[i%2]
		r := capturedRequest(tun, 10, 20)
		r.Path = fmt.Sprintf("/%s/%d?page=%d", []string{"stripe", "github", "a"}[i%3], i, i%7)
		r.Method = []string{"GET", "POST"}[i%5%2]
		ds = append(ds, events.CapturedDraft(a, at.Add(time.Duration(i)*time.Second), r, nil, nil))
	}
	if _, err := l.Append(context.Background(), ds...); err != nil {
		t.Fatal(err)
	}

	t.Run("IndexValues", func(t *testing.T) {
		mustView(t, l, func(tx *bolt.Tx) error {
			n := 0
			c := tx.Bucket(bRequestsByTun).Cursor()
			for k, v := c.First(); k != nil; k, v = c.Next() {
				var id ulid.ULID
				copy(id[:], k[len(k)-16:])
				r, err := RequestSummary(tx, a, id)
				if err != nil {
					return err
				}
				if string(v) != r.Path {
					t.Fatalf("tunnel index holds %q for %s, its path is %q", v, r.ID, r.Path)
				}
				n++
			}
			if n != 300 {
				t.Fatalf("tunnel index holds %d entries, want 300", n)
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
			for _, scan := range []int{0, 37} {
				mustView(t, l, func(tx *bolt.Tx) error {
					all, err := Requests(tx, a, "hooks", ulid.ULID{}, 1000)
					if err != nil {
						return err
					}
					var want []string
					for i, r := range all {
						if i < scan || scan == 0 {
							if strings.Contains(r.Path, f.PathContains) && (len(f.Methods) == 0 || strings.EqualFold(r.Method, f.Methods[0])) {
								want = append(want, r.ID)
							}
						}
					}
					if len(want) > 10 {
						want = want[:10]
					}
					page, err := RequestsFiltered(tx, a, "hooks", ulid.ULID{}, 10, &f, scan)
					if err != nil {
						return err
					}
					var got []string
					for _, r := range page.Requests {
						got = append(got, r.ID)
					}
					if fmt.Sprint(got) != fmt.Sprint(want) {
						t.Errorf("filter %+v scan %d: got %v, want %v", f, scan, got, want)
					}
					if scan == 37 && len(want) < 10 && (!page.ScanLimited || page.ScanBefore.String() != strings.TrimPrefix(all[36].ID, domain.RequestIDPrefix)) {
						t.Errorf("filter %+v scan 37: limited %v at %s, want at %s", f, page.ScanLimited, page.ScanBefore, all[36].ID)
					}
					return nil
				})
			}
		}
	})
}
