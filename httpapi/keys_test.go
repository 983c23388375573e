package httpapi

import (
	"strings"
	"testing"

	"warren/domain"
)

func TestKeys_Routes(t *testing.T) {
	a := startKDAPI(t, nil, nil)
	_, keyA := mustOpsAccount(t, a.Log, "a@example.com", domain.PlanFree)
	_, keyB := mustOpsAccount(t, a.Log, "b@example.com", domain.PlanFree)

	type keyOut struct {
		ID, Key, Prefix, Description, CreatedAt string
		RevokedAt                               *string
	}
	var created keyOut
	t.Run("CreateReturnsTheSecretOnce", func(t *testing.T) {
		r := a.call(t, "POST", "/v1/keys", keyA, "application/json", `{"description":"ci runner"}`).want(t, 201, &created)
		if got := strings.Join(keysOf(t, r.Body), ","); got != "createdAt,description,id,key,prefix,revokedAt" {
			t.Fatalf("fields %s", got)
		}
		if domain.CheckKeySecret(created.Key) != nil || !strings.HasPrefix(created.Key, created.Prefix) ||
			created.Description != "ci runner" || created.RevokedAt != nil || !strings.HasSuffix(created.CreatedAt, "Z") {
			t.Fatalf("created %s", r.Body)
		}
		// The new key authenticates at once.
		a.call(t, "GET", "/v1/keys", created.Key, "", "").want(t, 200, nil)
	})
	t.Run("CreateCurlDefaultContentTypeAndEmptyBody", func(t *testing.T) {
		var k keyOut
		a.call(t, "POST", "/v1/keys", keyA, "", `{"description":"from curl"}`).want(t, 201, &k)
		if k.Description != "from curl" {
			t.Fatalf("description %q", k.Description)
		}
		a.call(t, "POST", "/v1/keys", keyA, "", "").want(t, 201, nil)
	})
	t.Run("ErrBadBody", func(t *testing.T) {
		a.call(t, "POST", "/v1/keys", keyA, "application/json", `{"description":7}`).wantError(t, 400, "invalid")
		a.call(t, "POST", "/v1/keys", keyA, "application/json", `{"description":"`+strings.Repeat("x", 201)+`"}`).wantError(t, 400, "invalid")
		a.call(t, "POST", "/v1/keys", keyA, "text/plain", `{}`).want(t, 415, nil)
	})
	t.Run("ListIsMetadataOnly", func(t *testing.T) {
		var l struct {
			Keys        []keyOut
			NextPageURI *string `json:"next_page_uri"`
		}
		r := a.call(t, "GET", "/v1/keys", keyA, "", "").want(t, 200, &l)
		if got := strings.Join(keysOf(t, r.Body), ","); got != "keys,next_page_uri" {
			t.Fatalf("fields %s", got)
		}
		if len(l.Keys) != 4 || l.NextPageURI != nil || l.Keys[2].ID != created.ID {
			t.Fatalf("list %s", r.Body)
		}
		if strings.Contains(r.Body, created.Key) || strings.Contains(r.Body, domain.HashKeySecret(created.Key)) || strings.Contains(r.Body, `"hash"`) {
			t.Fatalf("the list leaks a secret or hash: %s", r.Body)
		}
	})
	t.Run("Paging", func(t *testing.T) {
		var seen []string
		path := "/v1/keys?limit=3"
		for path != "" {
			var l struct {
				Keys        []keyOut
				NextPageURI *string `json:"next_page_uri"`
			}
			a.call(t, "GET", path, keyA, "", "").want(t, 200, &l)
			for _, k := range l.Keys {
				seen = append(seen, k.ID)
			}
			path = ""
			if l.NextPageURI != nil {
				if !strings.HasPrefix(*l.NextPageURI, a.URL+"/v1/keys?") {
					t.Fatalf("next_page_uri %q is not a full URI", *l.NextPageURI)
				}
				path = strings.TrimPrefix(*l.NextPageURI, a.URL)
			}
		}
		if len(seen) != 4 || seen[2] != created.ID {
			t.Fatalf("paged ids %v", seen)
		}
		a.call(t, "GET", "/v1/keys?before_id=key_01ARZ3NDEKTSV4RRFFQ69G5FAV", keyA, "", "").wantError(t, 400, "invalid")
		a.call(t, "GET", "/v1/keys?limit=101", keyA, "", "").wantError(t, 400, "invalid")
		// Another account's key id is as unknown as a made-up one.
		a.call(t, "GET", "/v1/keys?before_id="+created.ID, keyB, "", "").wantError(t, 400, "invalid")
	})
	t.Run("ErrOtherAccountsKey", func(t *testing.T) {
		a.call(t, "DELETE", "/v1/keys/"+created.ID, keyB, "", "").wantError(t, 404, "not_found")
		a.call(t, "DELETE", "/v1/keys/nonsense", keyB, "", "").wantError(t, 404, "not_found")
	})
	t.Run("RevokedKeyIs401OnTheNextRequest", func(t *testing.T) {
		r := a.call(t, "DELETE", "/v1/keys/"+created.ID, keyA, "", "").want(t, 204, nil)
		if r.Body != "" {
			t.Fatalf("204 with a body %q", r.Body)
		}
		a.call(t, "GET", "/v1/keys", created.Key, "", "").wantError(t, 401, "unauthorized")
		a.call(t, "DELETE", "/v1/keys/"+created.ID, keyA, "", "").wantError(t, 409, "conflict")
		var l struct{ Keys []keyOut }
		a.call(t, "GET", "/v1/keys", keyA, "", "").want(t, 200, &l)
		if l.Keys[2].RevokedAt == nil || !strings.HasSuffix(*l.Keys[2].RevokedAt, "Z") {
			t.Fatalf("revoked key listed as %+v", l.Keys[2])
		}
	})
	t.Run("ErrLastKey", func(t *testing.T) {
		var l struct{ Keys []keyOut }
		a.call(t, "GET", "/v1/keys", keyB, "", "").want(t, 200, &l)
		if len(l.Keys) != 1 {
			t.Fatalf("b's keys %+v", l.Keys)
		}
		a.call(t, "DELETE", "/v1/keys/"+l.Keys[0].ID, keyB, "", "").wantError(t, 409, "conflict")
		a.call(t, "GET", "/v1/keys", keyB, "", "").want(t, 200, nil)
	})
	t.Run("ErrUnauthorized", func(t *testing.T) {
		typo := keyA[:len(keyA)-1] + map[bool]string{true: "B", false: "A"}[strings.HasSuffix(keyA, "A")]
		for _, k := range []string{"", typo, "ak_0000000000000000000000000000", "garbage"} {
			a.call(t, "GET", "/v1/keys", k, "", "").wantError(t, 401, "unauthorized")
			a.call(t, "POST", "/v1/keys", k, "", "").wantError(t, 401, "unauthorized")
		}
	})
	t.Run("ErrMethod", func(t *testing.T) {
		r := a.call(t, "PUT", "/v1/keys", keyA, "", "")
		if r.Status != 405 || !strings.Contains(r.Header.Get("Allow"), "GET") || !strings.Contains(r.Header.Get("Allow"), "POST") {
			t.Fatalf("PUT /v1/keys: %d Allow %q", r.Status, r.Header.Get("Allow"))
		}
	})
}
