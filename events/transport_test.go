package events

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"warren/domain"
)

// goldenTransport is the draft the transport golden file holds.
func goldenTransport() (ulid.ULID, Draft) {
	return ulid.MustParse("01JD5ZC0000000000000000001"), Draft{
		Type: RequestCaptured, Account: "acc_golden",
		At:     time.Date(2026, 12, 7, 5, 40, 1, 123456789, time.UTC),
		Data:   goldenCapturedV2(),
		Bodies: [][]byte{[]byte(`{"hello":"world"}`), nil, []byte("sealed")},
	}
}

// TestTransport_Golden pins the wire layout of a draft: edges spool it on
// disk and old spools must still be read (-update rewrites the file).
func TestTransport_Golden(t *testing.T) {
	key, d := goldenTransport()
	b, err := MarshalDraft(key, d)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "transport", "draft.v1.bin")
	if *update {
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, want) {
		t.Fatalf("MarshalDraft changed the v1 layout (%d bytes, golden %d): a new layout is a new version byte", len(b), len(want))
	}
	gotKey, got, err := UnmarshalDraft(want)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := marshalData(d.Data)
	if gotKey != key || got.Type != d.Type || got.Account != d.Account || !got.At.Equal(d.At) || got.Version != 2 ||
		!bytes.Equal(got.Data.(json.RawMessage), data) {
		t.Fatalf("decoded %s %+v", gotKey, got)
	}
	if !reflect.DeepEqual(got.Bodies, [][]byte{[]byte(`{"hello":"world"}`), {}, []byte("sealed")}) {
		t.Fatalf("bodies %q", got.Bodies)
	}
}

// TestUnmarshalDraft_ErrInvalid: every cut of a valid encoding, and a
// trailing byte, is refused, never a panic or a silently shorter draft.
func TestUnmarshalDraft_ErrInvalid(t *testing.T) {
	key, d := goldenTransport()
	b, err := MarshalDraft(key, d)
	if err != nil {
		t.Fatal(err)
	}
	for i := range len(b) {
		if _, _, err := UnmarshalDraft(b[:i]); domain.ErrorCode(err) != domain.CodeInvalid {
			t.Fatalf("cut at %d: %v, want CodeInvalid", i, err)
		}
	}
	if _, _, err := UnmarshalDraft(append(b, 0)); domain.ErrorCode(err) != domain.CodeInvalid {
		t.Fatalf("trailing byte: %v", err)
	}
}
