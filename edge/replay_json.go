package edge

import (
	"strings"
	"time"

	"warren/domain"
)

// requestJSON is a captured request as the API shows it in lists and SSE
// (httpapi's summary shape, kept identical so a replay's 201 reads like any
// other request).
type requestJSON struct {
	ID         string    `json:"id"`
	Tunnel     string    `json:"tunnel"`
	Kind       string    `json:"kind"`
	Method     string    `json:"method"`
	Path       string    `json:"path"`
	Status     int       `json:"status"`
	DurationMs float64   `json:"durationMs"`
	TTFBMs     float64   `json:"ttfbMs"`
	Bytes      int64     `json:"bytes"`
	BytesIn    int64     `json:"bytesIn"`
	BytesOut   int64     `json:"bytesOut"`
	IP         string    `json:"ip"`
	UserAgent  string    `json:"userAgent"`
	Proto      string    `json:"proto"`
	Host       string    `json:"host"`
	Error      *string   `json:"error"`
	ReplayOf   *string   `json:"replayOf"`
	CreatedAt  time.Time `json:"createdAt"`
}

func toRequestJSON(c domain.CapturedRequest) requestJSON {
	id := c.ID
	if !strings.HasPrefix(id, domain.RequestIDPrefix) {
		id = domain.RequestIDPrefix + id
	}
	j := requestJSON{ID: id, Tunnel: c.Tunnel, Kind: c.Kind, Method: c.Method,
		Path: c.Path, Status: c.Status, DurationMs: c.DurationMs, TTFBMs: c.TTFBMs,
		Bytes: c.BytesIn + c.BytesOut, BytesIn: c.BytesIn, BytesOut: c.BytesOut, IP: c.IP,
		UserAgent: c.UserAgent, Proto: c.Proto, Host: c.Host, CreatedAt: c.CreatedAt.UTC()}
	if c.Error != "" {
		e := c.Error
		j.Error = &e
	}
	if c.ReplayOf != "" {
		ro := c.ReplayOf
		j.ReplayOf = &ro
	}
	return j
}
