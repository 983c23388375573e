package projections

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"
	bolt "go.etcd.io/bbolt"

	"warren/domain"
)

// millionSummaries writes, once per test process, the request index of
// 1,000,000 captures of one account on one tunnel straight into a bbolt
// file (no log: the scan is what is measured, and appending a million
// events would take minutes), and returns the open database.
func millionSummaries(b *testing.B) *bolt.DB {
	summariesOnce.Do(func() {
		dir, err := os.MkdirTemp("", "warren-filter-bench-")
		if err != nil {
			b.Fatal(err)
		}
		db, err := bolt.Open(filepath.Join(dir, "index.db"), 0o600, &bolt.Options{NoSync: true})
		if err != nil {
			b.Fatal(err)
		}
		if err := Init(db); err != nil {
			b.Fatal(err)
		}
		at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
		const total, batch = 1_000_000, 50_000
		for i := 0; i < total; i += batch {
			err := db.Update(func(tx *bolt.Tx) error {
				reqs, byTun := tx.Bucket(bRequests), tx.Bucket(bRequestsByTun)
				reqs.FillPercent, byTun.FillPercent = 1, 1 // appended in key order
				paths := pathBatch{}
				for j := i; j < i+batch; j++ {
					t := at.Add(time.Duration(j) * 2 * time.Second)
					id := ulid.MustNew(ulid.Timestamp(t), fixedEntropy(j))
					r := domain.CapturedRequest{ID: id.String(), AccountID: "acc_bench", TunnelID: "tun_bench", Tunnel: "hooks",
						Kind: domain.KindHTTP, Method: "POST", Path: fmt.Sprintf("/webhooks/stripe/%d?attempt=1", j), Status: 200,
						TTFBMs: 0.4, DurationMs: 1.7, BytesIn: 512, BytesOut: 2048, IP: "203.0.113.7",
						UserAgent: "Stripe/1.0 (+https://stripe.com/docs/webhooks)", Proto: "HTTP/1.1", Host: "hooks.warren.test",
						ReqBody:   domain.BodyInfo{Size: 512, Stored: 512, SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
						RespBody:  domain.BodyInfo{Size: 2048, Stored: 2048, SHA256: "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752"},
						CreatedAt: t}
					acc := []byte("acc_bench")
					if err := reqs.Put(key(acc, id[:]), encodeSummary(&r)); err != nil {
						return err
					}
					if err := byTun.Put(key(acc, []byte("hooks"), id[:]), []byte{}); err != nil {
						return err
					}
					if err := paths.add(tx, "acc_bench", "hooks", id, r.Path); err != nil {
						return err
					}
				}
				return paths.flush(tx)
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		summariesDB = db
	})
	return summariesDB
}

var (
	summariesOnce sync.Once
	summariesDB   *bolt.DB
)

// fixedEntropy makes ULIDs that differ by j within one millisecond.
type fixedEntropy int

func (e fixedEntropy) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(int(e) >> (8 * (i % 4)))
	}
	return len(p), nil
}

// BenchmarkRequestFilterPath1M scans the 1,000,000 summaries of one account
// with a path filter that matches none of them (the worst case: nothing
// ends the scan early), with no scan bound. ns/op is one whole scan;
// ns/summary is what each read summary costs, so a bounded page
// (MaxRequestScan summaries) costs MaxRequestScan × ns/summary.
// "decode" is the same filter on fully decoded summaries, the way a scan
// would work without summaryFields.
func BenchmarkRequestFilterPath1M(b *testing.B) {
	db := millionSummaries(b)
	f := &RequestFilter{PathContains: "/github/"}
	for _, bc := range []struct {
		name, tunnel string
	}{{"account", ""}, {"tunnel", "hooks"}} {
		b.Run("peek/"+bc.name, func(b *testing.B) {
			for b.Loop() {
				page, err := View(db, func(tx *bolt.Tx) (RequestPage, error) {
					return RequestsFiltered(tx, "acc_bench", bc.tunnel, ulid.ULID{}, 101, f, 1_000_001)
				})
				if err != nil || len(page.Requests) != 0 || page.ScanLimited {
					b.Fatalf("page %+v, %v", page, err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ns/summary")
		})
	}
	b.Run("decode/account", func(b *testing.B) {
		for b.Loop() {
			n := 0
			err := db.View(func(tx *bolt.Tx) error {
				return listNewest(tx.Bucket(bRequests), []byte("acc_bench"), ulid.ULID{}, 1_000_001, func(_, v []byte) error {
					r, err := decodeSummary(v)
					if containsString([]byte(r.Path), f.PathContains) {
						n++
					}
					return err
				})
			})
			if err != nil || n != 0 {
				b.Fatal(n, err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ns/summary")
	})
}
