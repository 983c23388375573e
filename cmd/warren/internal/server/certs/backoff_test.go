package certs

import (
	"context"
	"testing"
	"time"
)

func TestBackoff_WaitDoublesUpToAnHourAndSuccessForgets(t *testing.T) {
	now := time.Date(2026, 12, 7, 4, 0, 0, 0, time.UTC)
	b := newBackoff(func() time.Time { return now })
	fail := func() {
		_ = b.onEvent(context.Background(), "cert_failed", map[string]any{"identifier": "shop.example.net", "renewal": false})
	}
	if err := b.check("shop.example.net"); err != nil {
		t.Fatalf("before any failure: %v", err)
	}
	fail()
	if b.check("shop.example.net") == nil {
		t.Fatal("ordered again right after a failure")
	}
	if b.check("other.example.net") != nil {
		t.Fatal("another name held back")
	}
	now = now.Add(time.Minute)
	if err := b.check("shop.example.net"); err != nil {
		t.Fatalf("after the first minute: %v", err)
	}
	for range 10 {
		fail()
	}
	now = now.Add(59 * time.Minute)
	if b.check("shop.example.net") == nil {
		t.Fatal("the wait did not grow to an hour")
	}
	now = now.Add(time.Minute)
	if err := b.check("shop.example.net"); err != nil {
		t.Fatalf("the wait grew past an hour: %v", err)
	}
	fail()
	_ = b.onEvent(context.Background(), "cert_obtained", map[string]any{"identifier": "shop.example.net"})
	if err := b.check("shop.example.net"); err != nil {
		t.Fatalf("after a certificate: %v", err)
	}
	_ = b.onEvent(context.Background(), "cert_failed", map[string]any{"identifier": "shop.example.net", "renewal": true})
	if err := b.check("shop.example.net"); err != nil {
		t.Fatalf("a failed renewal held the name back: %v", err)
	}
}
