package events_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/events"
)

func TestLog_Body(t *testing.T) {
	l, _ := openLog(t, events.Options{})
	req := []byte(strings.Repeat(`{"event":"payment.succeeded","amount":1200}`, 50))
	resp := make([]byte, 70000)
	rand.Read(resp) // incompressible
	evs := mustAppend(t, l, events.Draft{Type: events.RequestCaptured, Account: "acc_b",
		Data: domain.CapturedRequest{TunnelID: "tun_1", Kind: domain.KindHTTP, Method: "POST", Status: 200}, Bodies: [][]byte{req, resp}})
	id := evs[0].ID
	t.Run("RoundTrip", func(t *testing.T) {
		for part, want := range [][]byte{req, resp} {
			got, ok, err := l.Body(id, part)
			if err != nil || !ok || !bytes.Equal(got, want) {
				t.Fatalf("part %d: ok=%v err=%v equal=%v", part, ok, err, bytes.Equal(got, want))
			}
		}
	})
	t.Run("EmptyPartNotStored", func(t *testing.T) {
		evs := mustAppend(t, l, events.Draft{Type: events.RequestCaptured, Account: "acc_b",
			Data: domain.CapturedRequest{TunnelID: "tun_1", Kind: domain.KindHTTP, Method: "GET", Status: 200}, Bodies: [][]byte{nil, []byte("ok")}})
		if got, ok, err := l.Body(evs[0].ID, 0); ok || err != nil || got != nil {
			t.Fatalf("empty part 0: %q ok=%v err=%v, want nothing stored", got, ok, err)
		}
		if got, ok, err := l.Body(evs[0].ID, 1); !ok || err != nil || string(got) != "ok" {
			t.Fatalf("part 1: %q ok=%v err=%v", got, ok, err)
		}
		l.DB().View(func(tx *bolt.Tx) error {
			if v := tx.Bucket([]byte("bodies")).Get(append(evs[0].ID[:], 0)); v != nil {
				t.Fatalf("an empty part is stored as %d bytes", len(v))
			}
			return nil
		})
	})
	t.Run("Compressed", func(t *testing.T) {
		l.DB().View(func(tx *bolt.Tx) error {
			c := tx.Bucket([]byte("bodies")).Cursor()
			k, v := c.First()
			if len(k) != 17 || !bytes.Equal(k[:16], id[:]) || len(v) >= len(req)/4 {
				t.Fatalf("first stored body: key %x, %d bytes for %d raw", k, len(v), len(req))
			}
			return nil
		})
	})
	t.Run("MissingPart", func(t *testing.T) {
		if _, ok, err := l.Body(id, 2); ok || err != nil {
			t.Fatalf("part 2: ok=%v err=%v", ok, err)
		}
	})
	t.Run("ExecuteCompressesToo", func(t *testing.T) {
		evs, err := l.Execute(context.Background(), func(*events.Tx) ([]events.Draft, error) {
			return []events.Draft{{Type: events.RequestCaptured, Account: "acc_b", Bodies: [][]byte{[]byte("hello")}}}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if got, ok, err := l.Body(evs[0].ID, 0); !ok || err != nil || string(got) != "hello" {
			t.Fatalf("body %q %v %v", got, ok, err)
		}
	})
	t.Run("DeleteBodies", func(t *testing.T) {
		other := mustAppend(t, l, events.Draft{Type: events.RequestCaptured, Account: "acc_b", Bodies: [][]byte{[]byte("keep")}})[0].ID
		var freed int64
		err := l.DB().Update(func(tx *bolt.Tx) error {
			var err error
			freed, err = events.DeleteBodies(tx, id)
			return err
		})
		if err != nil || freed <= 0 {
			t.Fatalf("DeleteBodies freed %d, %v", freed, err)
		}
		for part := 0; part < 2; part++ {
			if _, ok, _ := l.Body(id, part); ok {
				t.Fatalf("part %d survived DeleteBodies", part)
			}
		}
		if got, ok, _ := l.Body(other, 0); !ok || string(got) != "keep" {
			t.Fatal("DeleteBodies removed another request's body")
		}
		l.DB().Update(func(tx *bolt.Tx) error {
			if n, err := events.DeleteBodies(tx, id); n != 0 || err != nil {
				t.Fatalf("second delete freed %d, %v", n, err)
			}
			return nil
		})
		// The event itself stays: the chain still verifies.
		if _, err := l.Verify(nil); err != nil {
			t.Fatal(err)
		}
	})
}

func TestBodyCodec(t *testing.T) {
	c, err := events.NewBodyCodec()
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"Empty": {}, "Small": []byte("x"), "JustRaw": bytes.Repeat([]byte("a"), 63),
		"JustZstd": bytes.Repeat([]byte("a"), 64), "StartsWithTag": {0, 0x28, 0xb5}, "JSON": []byte(webhookBody)} {
		t.Run(name, func(t *testing.T) {
			stored := c.Compress(b)
			got, err := c.Decompress(stored)
			if err != nil || !bytes.Equal(got, b) {
				t.Fatalf("round trip: %q %v", got, err)
			}
			// Small bodies are kept as they are; larger ones are zstd frames.
			if raw := len(b) < 64; raw != (stored[0] == 0) || (!raw && stored[0] != 0x28) {
				t.Fatalf("%d bytes stored as %x…", len(b), stored[:1])
			}
		})
	}
	t.Run("ErrGarbage", func(t *testing.T) {
		if _, err := c.Decompress([]byte("not zstd")); err == nil {
			t.Fatal("decompressed garbage")
		}
	})
}
