package events

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"warren/domain"
)

func sealedRequest() domain.CapturedRequest {
	return domain.CapturedRequest{Tunnel: "hooks", Kind: domain.KindHTTP, Method: "GET", Path: "/",
		ReqHeaders: map[string][]string{"Authorization": {"Bearer secret"}, "Cookie": {"a=1", "b=2"},
			"X-Token": {"tok"}, "Accept": {"*/*"}},
		RespHeaders: map[string][]string{"Set-Cookie": {"sid=1"}, "Content-Type": {"text/plain"}}}
}

func TestCapturedDraft(t *testing.T) {
	t.Run("Seals", func(t *testing.T) {
		r := sealedRequest()
		d := CapturedDraft("acc_a", time.Time{}, r, [][]byte{[]byte("req"), nil}, []string{"x-token"})
		if r.ReqHeaders["Authorization"][0] != "Bearer secret" {
			t.Fatal("the domain value's headers were changed")
		}
		p := d.Data.(RequestCapturedV3)
		data, _ := p.AppendJSON(nil)
		for _, secret := range []string{"Bearer secret", "a=1", "b=2", "tok", "sid=1"} {
			if bytes.Contains(data, []byte(secret)) {
				t.Errorf("payload holds %q: %s", secret, data)
			}
		}
		if got := p.ReqHeaders["Cookie"]; len(got) != 2 || !strings.HasPrefix(got[0], "hmac-sha256:") || got[0] == got[1] {
			t.Errorf("sealed Cookie %q", got)
		}
		if p.Secret == nil || strings.Join(p.Secret.Request, ",") != "Authorization,Cookie,X-Token" || strings.Join(p.Secret.Response, ",") != "Set-Cookie" {
			t.Errorf("secret names %+v", p.Secret)
		}
		if p.ReqHeaders["Accept"][0] != "*/*" || p.RespHeaders["Content-Type"][0] != "text/plain" {
			t.Errorf("plain headers changed: %v %v", p.ReqHeaders, p.RespHeaders)
		}
		if len(d.Bodies) != 3 || string(d.Bodies[0]) != "req" || !bytes.Contains(d.Bodies[SecretsPart], []byte("Bearer secret")) {
			t.Errorf("bodies %q", d.Bodies)
		}
	})
	t.Run("NothingToSeal", func(t *testing.T) {
		r := domain.CapturedRequest{Tunnel: "hooks", Kind: domain.KindHTTP, ReqHeaders: map[string][]string{"Accept": {"*/*"}}}
		d := CapturedDraft("acc_a", time.Time{}, r, nil, nil)
		if p := d.Data.(RequestCapturedV3); p.Secret != nil || d.Bodies != nil {
			t.Fatalf("sealed %+v, bodies %q", p.Secret, d.Bodies)
		}
	})
}

func TestCapturedRequestTx(t *testing.T) {
	l, err := Open(filepath.Join(t.TempDir(), "warren.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	v1 := sealedRequest()
	evs, err := l.Append(context.Background(),
		CapturedDraft("acc_a", time.Time{}, sealedRequest(), nil, nil),
		Draft{Type: RequestCaptured, Account: "acc_a", Data: v1}, // as version 1 was written
		Draft{Type: KeyRevoked, Account: "acc_a", Data: KeyRevokedV1{KeyID: "key_1"}})
	if err != nil {
		t.Fatal(err)
	}
	read := func(i int) (domain.CapturedRequest, error) {
		var r domain.CapturedRequest
		err := l.DB().View(func(tx *bolt.Tx) error {
			var ok bool
			var err error
			r, ok, err = CapturedRequestTx(tx, evs[i].ID)
			if err == nil && !ok {
				t.Fatalf("event %d not found", i)
			}
			return err
		})
		return r, err
	}
	t.Run("Revealed", func(t *testing.T) {
		r, err := read(0)
		if err != nil || r.ReqHeaders["Authorization"][0] != "Bearer secret" || r.ReqHeaders["Cookie"][1] != "b=2" ||
			r.RespHeaders["Set-Cookie"][0] != "sid=1" || r.Secrets == nil || !r.Secrets.Available {
			t.Fatalf("%+v, %v", r, err)
		}
		if r.ID != evs[0].ID.String() || r.AccountID != "acc_a" || !r.CreatedAt.Equal(evs[0].At) {
			t.Fatalf("envelope fields %q %q %v", r.ID, r.AccountID, r.CreatedAt)
		}
	})
	t.Run("Version1AsStored", func(t *testing.T) {
		r, err := read(1)
		if err != nil || r.ReqHeaders["Authorization"][0] != "Bearer secret" || r.Secrets != nil {
			t.Fatalf("%+v, %v", r, err)
		}
	})
	t.Run("ErrNotACapture", func(t *testing.T) {
		if _, err := read(2); domain.ErrorCode(err) != domain.CodeInvalid {
			t.Fatalf("key.revoked read as a capture: %v", err)
		}
	})
	t.Run("ErrTampered", func(t *testing.T) {
		forged, _ := json.Marshal(sealedValues{Key: make([]byte, 16), Request: map[string][]string{
			"Authorization": {"Bearer forged"}, "Cookie": {"a=1", "b=2"}}, Response: map[string][]string{"Set-Cookie": {"sid=1"}}})
		if err := l.DB().Update(func(tx *bolt.Tx) error {
			return tx.Bucket(bucketBodies).Put(bodyKey(evs[0].ID, SecretsPart), append([]byte{rawTag}, forged...))
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := read(0); domain.ErrorCode(err) != domain.CodeInternal {
			t.Fatalf("forged values read: %v", err)
		}
	})
	t.Run("Pruned", func(t *testing.T) {
		if err := l.DB().Update(func(tx *bolt.Tx) error { _, err := DeleteBodies(tx, evs[0].ID); return err }); err != nil {
			t.Fatal(err)
		}
		r, err := read(0)
		if err != nil || r.Secrets == nil || r.Secrets.Available || len(r.ReqHeaders) != 2 || len(r.RespHeaders) != 1 {
			t.Fatalf("%+v, %v", r, err)
		}
	})
}

func TestIsSensitiveHeader(t *testing.T) {
	for name, want := range map[string]bool{"Authorization": true, "authorization": true, "PROXY-AUTHORIZATION": true,
		"Cookie": true, "Set-Cookie": true, "X-Api-Key": true, "Cookies": false, "Accept": false, "": false} {
		if got := domain.IsSensitiveHeader(name, []string{"x-api-key"}); got != want {
			t.Errorf("%q: %v", name, got)
		}
	}
}
