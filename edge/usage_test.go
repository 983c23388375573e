package edge

import (
	"context"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/events"
	"warren/projections"
)

func TestUsageCache_Get(t *testing.T) {
	te := MustEdge(t)
	acc, _ := te.MustAccount(t, "u@example.com", "free")
	c := newUsageCache(te.log, time.Hour, time.Now)
	u, err := c.get(acc)
	if err != nil || u.plan.Name != "free" || u.over() {
		t.Fatalf("%+v %v", u, err)
	}
	c.add(acc, &domain.CapturedRequest{BytesOut: 50 << 30})
	if u, _ := c.get(acc); !u.over() {
		t.Fatal("local bytes not counted")
	}
	c.forget(acc)
	if u, _ := c.get(acc); u.over() {
		t.Fatal("forget kept the entry")
	}
	t.Run("ErrUnknownAccount", func(t *testing.T) {
		if _, err := c.get("acc_nope"); err == nil {
			t.Fatal("no error")
		}
	})
}

// TestBandwidthQuotaCountsTheWire: under the wire rule the plan's
// bandwidth is spent by heads as well as bodies, between two reads of the
// projection too; before it, by bodies alone.
func TestBandwidthQuotaCountsTheWire(t *testing.T) {
	te := MustEdge(t)
	acc, _ := te.MustAccount(t, "u@example.com", "free")
	limit := int64(50 << 30) // the free plan's
	exchange := &domain.CapturedRequest{Kind: domain.KindHTTP, Method: "GET", Path: "/", Proto: "HTTP/1.1", Host: "x.example",
		Status: 200, BytesOut: limit - 10}
	c := newUsageCache(te.log, time.Hour, time.Now)
	if _, err := c.get(acc); err != nil {
		t.Fatal(err)
	}
	c.add(acc, exchange)
	if u, _ := c.get(acc); u.over() {
		t.Fatal("before the wire rule, heads spent the bandwidth")
	}
	if _, err := te.log.Append(context.Background(), events.Draft{Type: events.BillingRuleChanged,
		Data: events.BillingRuleChangedData{Rule: events.RuleWire, From: time.Now().UTC().Format("2006-01")}}); err != nil {
		t.Fatal(err)
	}
	c.forget(acc)
	if _, err := c.get(acc); err != nil {
		t.Fatal(err)
	}
	c.add(acc, exchange)
	if u, _ := c.get(acc); !u.over() {
		t.Fatalf("%d body bytes and a head of %d did not spend %d", limit-10, events.CapturedHeads(exchange).In+events.CapturedHeads(exchange).Out, limit)
	}
}

// BenchmarkUsage compares the hot path's cached check with a bbolt read per request.
func BenchmarkUsage(b *testing.B) {
	te := MustEdge(b)
	acc, _ := te.MustAccount(b, "u@example.com", "free")
	b.Run("Cached", func(b *testing.B) {
		c := newUsageCache(te.log, 2*time.Second, time.Now)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := c.get(acc); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("ViewPerRequest", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := te.log.DB().View(func(tx *bolt.Tx) error {
					_, err := projections.Usage(tx, acc, time.Now())
					return err
				}); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}
