package projections

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"
	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/events"
)

// millionLog appends n real request.captured events (small GETs on one
// tunnel, every 10,000th to /rare/) through an events.Log with the
// projections applied, in batches of 4,096 drafts, and returns the log, the
// account and every request id oldest first.
func millionLog(b *testing.B, n int) (*events.Log, string, []ulid.ULID) {
	b.Helper()
	l, err := events.Open(filepath.Join(b.TempDir(), "warren.db"), events.Options{Applier: New()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { l.Close() })
	if err := Init(l.DB()); err != nil {
		b.Fatal(err)
	}
	acc, _ := MustAccount(b, l, "big@example.com", domain.PlanPro)
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	ids := make([]ulid.ULID, 0, n)
	const batch = 4096
	ds := make([]events.Draft, 0, batch)
	start := time.Now()
	for i := 0; i < n; i += batch {
		ds = ds[:0]
		for j := i; j < min(i+batch, n); j++ {
			path := fmt.Sprintf("/api/items/%d?page=2", j)
			if j%10_000 == 5_000 {
				path = fmt.Sprintf("/rare/%d", j)
			}
			ds = append(ds, events.CapturedDraft(acc, at.Add(time.Duration(j)*2*time.Second), domain.CapturedRequest{
				Tunnel: "app", Kind: domain.KindHTTP, Method: "GET", Path: path, Status: 200,
				TTFBMs: 0.4, DurationMs: 0.6, BytesIn: 0, BytesOut: 62, IP: "127.0.0.1", Proto: "HTTP/1.1",
				Host: "app.warren.test", UserAgent: "wrk", ReqHeaders: map[string][]string{"Accept": {"*/*"}},
				RespHeaders: map[string][]string{"Content-Type": {"application/json"}}}, nil, nil))
		}
		evs, err := l.Append(context.Background(), ds...)
		if err != nil {
			b.Fatal(err)
		}
		for _, ev := range evs {
			ids = append(ids, ev.ID)
		}
	}
	b.Logf("appended %d captures in %v", n, time.Since(start).Round(time.Millisecond))
	return l, acc, ids
}

// BenchmarkControlPlaneMillion: the server's read paths on a log of
// 1,000,000 captured requests (issue 15, item 4). Each sub-benchmark
// reports p50 and p99 of its operations (ms); run with -benchtime=200x.
// Targets: a page of 100 at any depth p99 ≤ 2 ms; a path filter over one
// tunnel's history p99 ≤ 50 ms; the monthly statement ≤ 100 ms.
func BenchmarkControlPlaneMillion(b *testing.B) {
	n := 1_000_000
	if testing.Short() {
		n = 50_000
	}
	l, acc, ids := millionLog(b, n)
	db := l.DB()
	rng := rand.New(rand.NewPCG(1, 2))
	anyDepth := func() ulid.ULID { return ids[rng.IntN(len(ids)-1)+1] }
	month := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name string
		op   func(tx *bolt.Tx) (int, error)
	}{
		{"PageAnyDepth/account", func(tx *bolt.Tx) (int, error) {
			rs, err := Requests(tx, acc, "", anyDepth(), 100)
			return len(rs), err
		}},
		{"PageAnyDepth/tunnel", func(tx *bolt.Tx) (int, error) {
			rs, err := Requests(tx, acc, "app", anyDepth(), 100)
			return len(rs), err
		}},
		// A path that matches nothing: the page reads MaxRequestScan
		// summaries and says where to go on (the worst page).
		{"PathFilterPage/tunnel/none", func(tx *bolt.Tx) (int, error) {
			p, err := RequestsFiltered(tx, acc, "app", anyDepth(), 100, &RequestFilter{PathContains: "/github/"}, 0)
			return len(p.Requests) + 1, err
		}},
		// One request in 10,000 matches: a page from the newest.
		{"PathFilterPage/tunnel/rare", func(tx *bolt.Tx) (int, error) {
			p, err := RequestsFiltered(tx, acc, "app", ulid.ULID{}, 100, &RequestFilter{PathContains: "/rare/"}, 0)
			return len(p.Requests), err
		}},
		// The whole history in one scan, no bound.
		{"PathFilterWhole/tunnel/none", func(tx *bolt.Tx) (int, error) {
			p, err := RequestsFiltered(tx, acc, "app", ulid.ULID{}, 100, &RequestFilter{PathContains: "/github/"}, len(ids)+1)
			return len(p.Requests) + 1, err
		}},
		{"PathFilterPage/account/none", func(tx *bolt.Tx) (int, error) {
			p, err := RequestsFiltered(tx, acc, "", anyDepth(), 100, &RequestFilter{PathContains: "/github/"}, 0)
			return len(p.Requests) + 1, err
		}},
		{"MonthStatement", func(tx *bolt.Tx) (int, error) {
			st, err := MonthStatement(tx, acc, month, month.AddDate(0, 0, 20))
			return int(st.Requests), err
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			var ds []time.Duration
			for b.Loop() {
				t0 := time.Now()
				got, err := View(db, c.op)
				ds = append(ds, time.Since(t0))
				if err != nil || got == 0 {
					b.Fatalf("%d, %v", got, err)
				}
			}
			slices.Sort(ds)
			b.ReportMetric(float64(ds[len(ds)/2].Microseconds())/1e3, "p50-ms")
			b.ReportMetric(float64(ds[len(ds)*99/100].Microseconds())/1e3, "p99-ms")
		})
	}
}
