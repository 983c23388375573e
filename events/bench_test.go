package events_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"
	bolt "go.etcd.io/bbolt"

	"warren/events"
)

// webhookBody is a realistic ~2 KB JSON webhook delivery (Stripe-like).
const webhookBody = `{
  "id": "evt_1PqR7sLkdIwHu7ix3bKc9fGh",
  "object": "event",
  "api_version": "2024-06-20",
  "created": 1724157600,
  "data": {
    "object": {
      "id": "pi_3PqR7rLkdIwHu7ix1aXyZ0Qm",
      "object": "payment_intent",
      "amount": 12900,
      "amount_capturable": 0,
      "amount_received": 12900,
      "application": null,
      "capture_method": "automatic",
      "client_secret": "pi_3PqR7rLkdIwHu7ix1aXyZ0Qm_secret_Vb8TqQw2mC9xL4nR7sK1pD6fH",
      "confirmation_method": "automatic",
      "created": 1724157599,
      "currency": "eur",
      "customer": "cus_QhX2bV9kLm3NpR",
      "description": "Order #100482 - 3 items",
      "latest_charge": "ch_3PqR7rLkdIwHu7ix1kT8wYv2",
      "livemode": false,
      "metadata": {
        "order_id": "100482",
        "cart_id": "c7f3a9e2-41b8-4d6e-9f0a-2b5c8e1d3f47",
        "customer_email": "jane.doe@example.com",
        "shipping_method": "express"
      },
      "payment_method": "pm_1PqR7qLkdIwHu7ixQ2wE4rT6",
      "payment_method_types": ["card", "sepa_debit"],
      "receipt_email": "jane.doe@example.com",
      "shipping": {
        "address": {
          "city": "Berlin",
          "country": "DE",
          "line1": "Friedrichstrasse 123",
          "line2": "Hinterhaus, 3. OG",
          "postal_code": "10117",
          "state": null
        },
        "name": "Jane Doe",
        "phone": "+49 30 1234567"
      },
      "status": "succeeded",
      "charges": {
        "object": "list",
        "data": [
          {
            "id": "ch_3PqR7rLkdIwHu7ix1kT8wYv2",
            "object": "charge",
            "amount": 12900,
            "balance_transaction": "txn_3PqR7rLkdIwHu7ix1mN5bC8x",
            "billing_details": {"email": "jane.doe@example.com", "name": "Jane Doe", "phone": null},
            "outcome": {"network_status": "approved_by_network", "risk_level": "normal", "risk_score": 32, "seller_message": "Payment complete.", "type": "authorized"},
            "paid": true,
            "payment_method_details": {"card": {"brand": "visa", "country": "DE", "exp_month": 12, "exp_year": 2027, "funding": "credit", "last4": "4242", "network": "visa"}, "type": "card"},
            "receipt_url": "https://pay.example.com/receipts/payment/CAcaFwoVYWNjdF8xTmJ2c0xrZEl3SHU3aXgo",
            "status": "succeeded"
          }
        ],
        "has_more": false,
        "url": "/v1/charges?payment_intent=pi_3PqR7rLkdIwHu7ix1aXyZ0Qm"
      }
    }
  },
  "livemode": false,
  "pending_webhooks": 1,
  "request": {"id": "req_Lm4NbV7xQ2wE9r", "idempotency_key": "8d1c2b7e-5f4a-4e3d-9c8b-7a6f5e4d3c2b"},
  "type": "payment_intent.succeeded"
}`

// payload300 is a ~300-byte event payload, like a tunnel.opened event.
var payload300 = json.RawMessage(`{"tunnelId":"tun_01J5ZQ8X7K3M9N2P4R6T8V0W1Y","sessionId":"ses_01J5ZQ8X7K3M9N2P4R6T8V0W1Z","keyId":"key_01J5ZQ8X7K3M9N2P4R6T8V0W20","proto":"http","subdomain":"brave-otter-4821","url":"https://brave-otter-4821.warren.example.com","local":"localhost:3000","remoteAddr":"203.0.113.7:51234"}`)

// appendConcurrently appends n events from 64 goroutines and returns the
// elapsed time.
func appendConcurrently(b *testing.B, l *events.Log, n int) time.Duration {
	b.Helper()
	const workers = 64
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := events.Draft{Type: events.TunnelOpened, Account: "acc_01J5ZQ8X7K3M9N2P4R6T8V0W1X", Data: payload300}
			for next.Add(1) <= int64(n) {
				if _, err := l.Append(context.Background(), d); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	return time.Since(start)
}

// BenchmarkAppend64: 64 concurrent appenders, ~300-byte payloads, each
// append acknowledged after fsync.
func BenchmarkAppend64(b *testing.B) {
	l, _ := openLog(b, events.Options{})
	b.ResetTimer()
	el := appendConcurrently(b, l, b.N)
	b.ReportMetric(float64(b.N)/el.Seconds(), "events/s")
}

// rawBolt64 commits n events, 64 per bbolt Update, with the log's options,
// and returns the elapsed time.
func rawBolt64(b *testing.B, n int) time.Duration {
	b.Helper()
	db, err := bolt.Open(filepath.Join(b.TempDir(), "raw.db"), 0o600, &bolt.Options{
		FreelistType: bolt.FreelistMapType, InitialMmapSize: 1 << 30})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("events")); return err })
	entropy := ulid.Monotonic(rand.Reader, 0)
	val := make([]byte, 0, 400)
	val = append(val, make([]byte, 90)...) // the envelope's header
	val = append(val, payload300...)
	start := time.Now()
	for done := 0; done < n; {
		err := db.Update(func(tx *bolt.Tx) error {
			bk := tx.Bucket([]byte("events"))
			bk.FillPercent = 1.0 // as the log does for its append-only buckets
			for i := 0; i < 64 && done+i < n; i++ {
				id := ulid.MustNew(ulid.Now(), entropy)
				if err := bk.Put(id[:], val); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		done += 64
	}
	return time.Since(start)
}

// floorGroup64 is the least a group commit with the log's guarantees can
// cost here, for comparison: 64 appenders hand a request each to one writer
// goroutine over a channel and wait on a WaitGroup; the writer takes what
// arrives (yielding while the queue is empty, until 64 or 400 µs), and for
// each assigns a ULID, chains a SHA-256 over the previous hash and the value
// and puts it; then it commits and wakes them. Nothing else: no envelope,
// no JSON check, no head, no errors, no publishing.
func floorGroup64(b *testing.B, n int) time.Duration {
	b.Helper()
	db, err := bolt.Open(filepath.Join(b.TempDir(), "floor.db"), 0o600, &bolt.Options{
		FreelistType: bolt.FreelistMapType, InitialMmapSize: 1 << 30})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("events")); return err })
	type req struct{ done sync.WaitGroup }
	queue, stop := make(chan *req, 64), make(chan struct{})
	defer close(stop)
	go func() {
		entropy := ulid.Monotonic(rand.Reader, 0)
		var prev [32]byte
		batch := make([]*req, 0, 64)
		for {
			select {
			case r := <-queue:
				batch = append(batch[:0], r)
			case <-stop:
				return
			}
			db.Update(func(tx *bolt.Tx) error {
				bk := tx.Bucket([]byte("events"))
				bk.FillPercent = 1.0
				deadline := time.Now().Add(400 * time.Microsecond)
				for i := 0; ; i++ {
					v := make([]byte, 0, 400)
					v = append(append(append(v, prev[:]...), make([]byte, 58)...), payload300...)
					prev = sha256.Sum256(v)
					id := ulid.MustNew(ulid.Now(), entropy)
					bk.Put(id[:], v)
					for i+1 == len(batch) && len(batch) < 64 && time.Now().Before(deadline) {
						select {
						case r := <-queue:
							batch = append(batch, r)
						default:
							runtime.Gosched()
						}
					}
					if i+1 == len(batch) {
						return nil
					}
				}
			})
			for _, r := range batch {
				r.done.Done()
			}
		}
	}()
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < 64; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) {
				r := &req{}
				r.done.Add(1)
				queue <- r
				r.done.Wait()
			}
		}()
	}
	wg.Wait()
	return time.Since(start)
}

// BenchmarkRawBolt64 is the yardstick: a raw loop committing 64 events per
// transaction with the same payload size and bbolt options as the log.
func BenchmarkRawBolt64(b *testing.B) {
	el := rawBolt64(b, b.N)
	b.ReportMetric(float64(b.N)/el.Seconds(), "events/s")
}

// BenchmarkAppendRatio compares Append64 with Raw64 in the same run (and,
// as floor_ratio, floorGroup64: what the structure alone allows): the
// disk and CPU here are shared, so it alternates short runs of each (~2 s
// per side in total) and reports the medians and the median of the ratios
// (each ratio compares two runs a fraction of a second apart).
//
// It is a guard, not a target: the old "≥ 0.8 × raw bbolt" goal is retired
// (issue 15: the log acknowledges ~5× what the edge produces here). What
// must hold is log_floor_ratio, the log against floorGroup64 in the same
// round, ≥ logFloorGuard; the benchmark fails below it.
func BenchmarkAppendRatio(b *testing.B) {
	const rounds = 9
	for i := 0; i < b.N; i++ {
		rate := func(run func(n int) time.Duration) float64 {
			// Size each run to ~0.25 s from a small calibration run.
			n := 2000
			n = max(2000, int(float64(n)*0.25/run(n).Seconds()))
			return float64(n) / run(n).Seconds()
		}
		var apps, raws, floors, ratios, floorRatios, logFloor []float64
		for r := 0; r < rounds; r++ {
			// A fresh log per round, as the raw loop gets a fresh file.
			l, _ := openLog(b, events.Options{})
			app := rate(func(n int) time.Duration { return appendConcurrently(b, l, n) })
			l.Close()
			floor := rate(func(n int) time.Duration { return floorGroup64(b, n) })
			raw := rate(func(n int) time.Duration { return rawBolt64(b, n) })
			apps, raws, ratios = append(apps, app), append(raws, raw), append(ratios, app/raw)
			floors, floorRatios = append(floors, floor), append(floorRatios, floor/raw)
			logFloor = append(logFloor, app/floor)
		}
		b.ReportMetric(median(apps), "append64_events/s")
		b.ReportMetric(median(raws), "raw64_events/s")
		b.ReportMetric(median(ratios), "ratio")
		b.ReportMetric(median(floorRatios), "floor_ratio")
		b.ReportMetric(median(logFloor), "log_floor_ratio")
		b.Logf("append64 %v\nfloor64 %v\nraw64 %v\nratios %v\nfloor ratios %v\nlog/floor %v", apps, floors, raws, ratios, floorRatios, logFloor)
		if m := median(logFloor); m < logFloorGuard {
			b.Errorf("the log appends %.2f × floorGroup64 in the same run, below the guard %.1f", m, logFloorGuard)
		}
	}
}

// logFloorGuard is the least log_floor_ratio BenchmarkAppendRatio accepts.
const logFloorGuard = 0.9

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[len(s)/2]
}

// BenchmarkZstd2KB compresses a 2 KB JSON webhook body with the log's codec.
func BenchmarkZstd2KB(b *testing.B) {
	c, err := events.NewBodyCodec()
	if err != nil {
		b.Fatal(err)
	}
	body := []byte(webhookBody)
	var out []byte
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out = c.Compress(body)
	}
	el := b.Elapsed()
	b.ReportMetric(float64(len(body))/float64(len(out)), "ratio")
	b.ReportMetric(float64(el.Microseconds())/float64(b.N), "µs/body")
	b.ReportMetric(float64(len(body)), "raw_bytes")
}

// BenchmarkVerify walks a log of 200k events; each iteration verifies it all.
func BenchmarkVerify(b *testing.B) {
	const total = 200000
	l, _ := openLog(b, events.Options{})
	drafts := make([]events.Draft, 2000)
	for i := range drafts {
		drafts[i] = events.Draft{Type: events.TunnelOpened, Account: "acc_01J5ZQ8X7K3M9N2P4R6T8V0W1X", Data: payload300}
	}
	for i := 0; i < total; i += len(drafts) {
		if _, err := l.Append(context.Background(), drafts...); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h, err := l.Verify(nil)
		if err != nil || h.Count != total {
			b.Fatalf("verify: %+v %v", h, err)
		}
	}
	b.ReportMetric(float64(total)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
