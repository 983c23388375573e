package events

import (
	"os"
	"path/filepath"
	"testing"
)

// TestReservationV2OfASubdomainEncodesAsV1: ports added a version, not a
// new encoding for a subdomain's reservation.
func TestReservationV2OfASubdomainEncodesAsV1(t *testing.T) {
	want, err := os.ReadFile(filepath.Join("testdata", "golden", "reservation.created.v1.json"))
	if err != nil {
		t.Fatal(err)
	}
	if got := encodeGolden(t, ReservationV2{Subdomain: "hooks"}); string(got) != string(want) {
		t.Fatalf("v2 of a subdomain %s, v1 %s", got, want)
	}
}
