package httpapi

import (
	"encoding/base64"
	"time"
	"unicode/utf8"

	"github.com/oklog/ulid/v2"
	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/projections"
)

// bodyJSON is one captured body. Data is text when the stored bytes are
// valid UTF-8, else base64 with encoding "base64"; null when nothing was
// stored or retention pruned it (available false).
type bodyJSON struct {
	Size      int64   `json:"size"`
	Stored    int64   `json:"stored"`
	Truncated bool    `json:"truncated"`
	SHA256    string  `json:"sha256,omitempty"`
	Available bool    `json:"available"`
	Encoding  string  `json:"encoding"`
	Data      *string `json:"data"`
}

// exchangeJSON is the request or the response side of a capture.
type exchangeJSON struct {
	Headers map[string][]string `json:"headers"`
	Body    bodyJSON            `json:"body"`
}

// requestDetailJSON is GET …/requests/{id}: the summary plus both sides.
type requestDetailJSON struct {
	requestJSON
	Request  exchangeJSON `json:"request"`
	Response exchangeJSON `json:"response"`
	// BodiesPruned says retention removed the stored bodies (at PrunedAt).
	BodiesPruned bool       `json:"bodiesPruned"`
	PrunedAt     *time.Time `json:"prunedAt"`
	// SecretHeaders names the headers whose values were kept out of the log
	// (null: none); available false once retention pruned them with the
	// bodies, and then the headers are missing from request/response.
	SecretHeaders *domain.SecretHeaders `json:"secretHeaders"`

	// Denied names the access rule that refused the visitor (basic_auth,
	// ip, oidc; error is then "denied"); absent when none.
	Denied string `json:"denied,omitempty"`
}

// requestDetail reads the bodies (part 0 request, 1 response) from the log.
func (s *Server) requestDetail(id ulid.ULID, cr domain.CapturedRequest) (requestDetailJSON, error) {
	d := requestDetailJSON{requestJSON: toRequestJSON(cr), SecretHeaders: cr.Secrets, Denied: cr.Denied}
	if err := s.view(func(tx *bolt.Tx) error {
		at, pruned, err := projections.BodiesPrunedAt(tx, cr.AccountID, id)
		if pruned {
			at = at.UTC()
			d.BodiesPruned, d.PrunedAt = true, &at
		}
		return err
	}); err != nil {
		return d, err
	}
	sides := []struct {
		out     *exchangeJSON
		headers map[string][]string
		info    domain.BodyInfo
	}{{&d.Request, cr.ReqHeaders, cr.ReqBody}, {&d.Response, cr.RespHeaders, cr.RespBody}}
	for part, side := range sides {
		side.out.Headers = side.headers
		if side.out.Headers == nil {
			side.out.Headers = map[string][]string{}
		}
		b := bodyJSON{Size: side.info.Size, Stored: side.info.Stored, Truncated: side.info.Truncated,
			SHA256: side.info.SHA256, Encoding: "text"}
		raw, ok, err := s.log.Body(id, part)
		if err != nil {
			return d, err
		}
		if ok {
			b.Available = true
			var str string
			if utf8.Valid(raw) {
				str = string(raw)
			} else {
				str, b.Encoding = base64.StdEncoding.EncodeToString(raw), "base64"
			}
			b.Data = &str
		}
		if !ok && side.info.Stored == 0 && !d.BodiesPruned {
			// Nothing to store is an empty body, not a pruned one.
			empty := ""
			b.Available, b.Data = true, &empty
		}
		side.out.Body = b
	}
	return d, nil
}
