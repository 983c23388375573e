package events

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/klauspost/compress/zstd"
	"github.com/oklog/ulid/v2"
	bolt "go.etcd.io/bbolt"

	"warren/domain"
)

// A visitor's credentials and cookies must not outlive retention: the log
// is immutable and copied into every backup and export. So the values of
// sensitive headers (domain.IsSensitiveHeader) are sealed at capture: the
// event keeps, in their place, a keyed hash of each value, and the values
// with the hash key are stored as one more body part, which retention
// prunes with the bodies. The hash is keyed (HMAC-SHA256 with a random key
// per request, stored with the values) because a plain hash of a short
// cookie or a weak Basic password could be found by guessing; once the key
// is pruned the hash says nothing, while it is retained it proves the
// values are the ones captured.

// SecretsPart is the body part that holds a capture's sealed header values
// (0 is the request body, 1 the response body).
const SecretsPart = 2

// secretHashPrefix starts a sealed value as the event holds it.
const secretHashPrefix = "hmac-sha256:"

// sealedValues is the stored form of the SecretsPart (JSON, compressed like
// a body).
type sealedValues struct {
	Key      []byte              `json:"key"` // of the hashes in the event
	Request  map[string][]string `json:"request,omitempty"`
	Response map[string][]string `json:"response,omitempty"`
}

// sealHeaders seals p's sensitive headers (the defaults and extra) in
// place and returns the SecretsPart to store (ok=false: nothing to seal).
func sealHeaders(p *RequestCapturedV3, extra []string) ([]byte, bool) {
	var sv sealedValues
	var secret SecretHeadersV2
	p.ReqHeaders, sv.Request, secret.Request = seal(p.ReqHeaders, extra, &sv.Key)
	p.RespHeaders, sv.Response, secret.Response = seal(p.RespHeaders, extra, &sv.Key)
	if sv.Key == nil {
		return nil, false
	}
	p.Secret = &secret
	blob, err := json.Marshal(sv)
	if err != nil { // cannot happen: strings and bytes only
		panic(err)
	}
	return blob, true
}

// seal returns h with each sensitive header's values replaced by their
// hashes (a copy; h itself when none is sensitive), the values it took, and
// their names in order. *key is drawn on first use.
func seal(h map[string][]string, extra []string, key *[]byte) (map[string][]string, map[string][]string, []string) {
	found := false
	for k := range h {
		if domain.IsSensitiveHeader(k, extra) {
			found = true
			break
		}
	}
	if !found {
		return h, nil, nil
	}
	if *key == nil {
		*key = make([]byte, 16)
		rand.Read(*key) // never fails (crypto/rand, Go 1.24)
	}
	out := make(map[string][]string, len(h))
	taken := map[string][]string{}
	var names []string
	for _, k := range sortedKeys(h) {
		vs := h[k]
		if !domain.IsSensitiveHeader(k, extra) {
			out[k] = vs
			continue
		}
		names = append(names, k)
		taken[k] = vs
		if vs == nil {
			out[k] = nil
			continue
		}
		hashed := make([]string, len(vs))
		for i, v := range vs {
			hashed[i] = secretHash(*key, v)
		}
		out[k] = hashed
	}
	return out, taken, names
}

func secretHash(key []byte, v string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(v))
	return secretHashPrefix + hex.EncodeToString(m.Sum(nil))
}

// revealHeaders puts the retained values of r's sealed headers back in
// its header maps, which must be r's own (decoded for it): changed in
// place. Once pruned, the sealed headers are taken out of the maps instead.
func revealHeaders(tx *bolt.Tx, id ulid.ULID, r *domain.CapturedRequest) error {
	raw, ok, err := bodyTx(tx, id, SecretsPart)
	if err != nil {
		return err
	}
	if !ok {
		for _, k := range r.Secrets.Request {
			delete(r.ReqHeaders, k)
		}
		for _, k := range r.Secrets.Response {
			delete(r.RespHeaders, k)
		}
		return nil
	}
	var sv sealedValues
	if err := json.Unmarshal(raw, &sv); err != nil {
		return &domain.Error{Code: domain.CodeInternal, Message: fmt.Sprintf("events: sealed headers of %s", id), Err: err}
	}
	for _, side := range [...]struct {
		names  []string
		hashed map[string][]string
		values map[string][]string
	}{{r.Secrets.Request, r.ReqHeaders, sv.Request}, {r.Secrets.Response, r.RespHeaders, sv.Response}} {
		for _, k := range side.names {
			vs := side.values[k]
			if len(vs) != len(side.hashed[k]) {
				return domain.Errorf(domain.CodeInternal, "events: sealed header %s of %s does not match its event", k, id)
			}
			for i, v := range vs {
				if !hmac.Equal([]byte(secretHash(sv.Key, v)), []byte(side.hashed[k][i])) {
					return domain.Errorf(domain.CodeInternal, "events: sealed header %s of %s does not match its hash", k, id)
				}
			}
			side.hashed[k] = vs
		}
	}
	r.Secrets.Available = true
	return nil
}

// bodyTx returns the decompressed body part of id inside tx (ok=false when
// none is stored). It reads the rare part a transaction needs, the sealed
// headers, so it builds a zstd decoder per call rather than share the Log's.
func bodyTx(tx *bolt.Tx, id ulid.ULID, part int) ([]byte, bool, error) {
	v := tx.Bucket(bucketBodies).Get(bodyKey(id, part))
	if v == nil {
		return nil, false, nil
	}
	if len(v) > 0 && v[0] == rawTag {
		return append([]byte(nil), v[1:]...), true, nil
	}
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1))
	if err != nil {
		return nil, false, err
	}
	defer dec.Close()
	b, err := dec.DecodeAll(v, nil)
	if err != nil {
		return nil, false, fmt.Errorf("events: body %s/%d: %w", id, part, err)
	}
	return b, true, nil
}
