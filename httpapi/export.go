package httpapi

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"time"

	"github.com/oklog/ulid/v2"
	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/projections"
)

// exportBatch is how many requests one read transaction gathers.
const exportBatch = 256

// exported is one captured request with its stored bodies, as exported.
type exported struct {
	cr       domain.CapturedRequest
	id       ulid.ULID
	bodies   [2][]byte    // request, response (nil when not stored)
	prunedAt [2]time.Time // non-zero when a stored body was pruned
}

// exportHandler is GET /api/v1/me/tunnels/{sub}/requests/export
// ?format=har|ndjson[&since=RFC3339]: every captured request of the tunnel
// (at or after since), oldest first, streamed. HAR 1.2 (the default) opens
// in browser devtools and leaves out raw TCP connections; ndjson is one
// captured request per line with its bodies base64, for replaying elsewhere.
// An unknown format or a bad since is CodeInvalid.
func (s *Server) exportHandler(w http.ResponseWriter, r *http.Request, c *call) error {
	q := r.URL.Query()
	format := q.Get("format")
	if format == "" {
		format = "har"
	}
	if format != "har" && format != "ndjson" {
		return domain.Errorf(domain.CodeInvalid, "format %q: want har or ndjson", format)
	}
	var since time.Time
	if v := q.Get("since"); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return domain.Errorf(domain.CodeInvalid, "since %q is not an RFC 3339 time", v)
		}
		since = t
	}
	sub := c.Params.ByName("sub")
	if err := checkTunnelName(sub); err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	var ex exporter
	name := sub + ".har"
	if format == "ndjson" {
		ex, name = &ndjsonExporter{w: bw, scheme: s.scheme(r)}, sub+".ndjson"
		w.Header().Set("Content-Type", "application/x-ndjson")
	} else {
		ex = &harExporter{w: bw, scheme: s.scheme(r)}
		w.Header().Set("Content-Type", "application/json")
	}
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.WriteHeader(http.StatusOK)
	if err := ex.begin(); err != nil {
		return nil // the client went away
	}
	err := s.eachExported(c.Account.ID, sub, since, ex.entry)
	if err != nil {
		// The status is sent: cut the body short so the client sees a broken
		// document rather than a complete-looking partial one.
		s.logger.Error("httpapi: export", "account", c.Account.ID, "tunnel", sub, "err", err)
		return nil
	}
	if err := ex.end(); err != nil {
		return nil
	}
	_ = bw.Flush()
	return nil
}

// exporter writes one export format.
type exporter interface {
	begin() error
	entry(x *exported) error
	end() error
}

// eachExported calls fn with each of the tunnel's captured requests at or
// after since, oldest first, with bodies. Bodies are read outside the
// index transaction: a read transaction must not open another.
func (s *Server) eachExported(acc, sub string, since time.Time, fn func(*exported) error) error {
	var cursor ulid.ULID
	for {
		var batch []exported
		err := s.view(func(tx *bolt.Tx) error {
			rs, err := projections.RequestsAfter(tx, acc, sub, cursor, exportBatch)
			if err != nil {
				return err
			}
			for _, sum := range rs {
				id, err := ulid.ParseStrict(sum.ID)
				if err != nil {
					return err
				}
				cursor = id
				if !since.IsZero() && sum.CreatedAt.Before(since) {
					continue
				}
				cr, err := projections.Request(tx, acc, id)
				if err != nil {
					return err
				}
				x := exported{cr: cr, id: id}
				if at, pruned, err := projections.BodiesPrunedAt(tx, acc, id); err != nil {
					return err
				} else if pruned {
					x.prunedAt = [2]time.Time{at, at}
				}
				batch = append(batch, x)
			}
			if len(rs) < exportBatch {
				cursor = ulid.ULID{} // signals the end below
			}
			return nil
		})
		if err != nil {
			return err
		}
		for i := range batch {
			x := &batch[i]
			for part := range 2 {
				b, ok, err := s.log.Body(x.id, part)
				if err != nil {
					return err
				}
				if ok {
					x.bodies[part] = b
				}
			}
			if err := fn(x); err != nil {
				return err
			}
		}
		if cursor == (ulid.ULID{}) {
			return nil
		}
	}
}

// ndjsonLine is one captured request of an ndjson export.
type ndjsonLine struct {
	domain.CapturedRequest
	ID string `json:"id"` // req_<ULID>
	// These shadow the stored float milliseconds: integers, as in the API (apiDuration).
	DurationMs         int64      `json:"durationMs"`
	DurationUs         int64      `json:"durationUs"`
	TTFBMs             int64      `json:"ttfbMs"`
	TTFBUs             int64      `json:"ttfbUs"`
	URL                string     `json:"url,omitempty"`
	RequestBodyBase64  *string    `json:"requestBodyBase64"`  // "" for an empty body; null: not stored (pruned)
	ResponseBodyBase64 *string    `json:"responseBodyBase64"` // likewise
	BodiesPrunedAt     *time.Time `json:"bodiesPrunedAt,omitempty"`
	Modified           bool       `json:"modified"` // a replay whose overrides changed it (listed in overrides)
}

type ndjsonExporter struct {
	w      *bufio.Writer
	scheme string
}

func (e *ndjsonExporter) begin() error { return nil }
func (e *ndjsonExporter) end() error   { return nil }

func (e *ndjsonExporter) entry(x *exported) error {
	line := ndjsonLine{CapturedRequest: x.cr, ID: domain.RequestIDPrefix + x.id.String()}
	line.DurationMs, line.DurationUs = apiDuration(x.cr.DurationMs)
	line.TTFBMs, line.TTFBUs = apiDuration(x.cr.TTFBMs)
	line.Modified = len(x.cr.Overrides) > 0
	if x.cr.Host != "" && x.cr.Kind != domain.KindTCP {
		line.URL = e.scheme + "://" + x.cr.Host + x.cr.Path
	}
	infos := [2]domain.BodyInfo{x.cr.ReqBody, x.cr.RespBody}
	for part, dst := range []**string{&line.RequestBodyBase64, &line.ResponseBodyBase64} {
		b := x.bodies[part]
		if b == nil && infos[part].Size == 0 {
			b = []byte{} // empty bodies are not stored, but they are known
		}
		if b != nil {
			s := base64.StdEncoding.EncodeToString(b)
			*dst = &s
		}
	}
	if !x.prunedAt[0].IsZero() {
		line.BodiesPrunedAt = &x.prunedAt[0]
	}
	b, err := json.Marshal(line)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	_, err = e.w.Write(b)
	return err
}
