package edge

import (
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

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
	c.add(acc, 50<<30)
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
