package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"time"
)

// Account is GET /v1/me.
type Account struct {
	ID    string `json:"id"`
	Email string `json:"email"`
	Name  string `json:"name"`
	Plan  string `json:"plan"`
}

// Me returns the key's account; it is how login checks a key.
func (c *Client) Me(ctx context.Context) (Account, error) {
	var a Account
	return a, c.do(ctx, http.MethodGet, "/v1/me", nil, &a)
}

// Tunnel is one live tunnel of GET /api/v1/me/tunnels.
type Tunnel struct {
	ID         string    `json:"id,omitempty"`
	Subdomain  string    `json:"subdomain"`
	PublicURL  string    `json:"publicUrl"`
	CreatedAt  time.Time `json:"createdAt"`
	RemoteAddr string    `json:"remoteAddr"`
}

// Tunnels lists the account's live tunnels.
func (c *Client) Tunnels(ctx context.Context) ([]Tunnel, error) {
	var ts []Tunnel
	return ts, c.do(ctx, http.MethodGet, "/api/v1/me/tunnels", nil, &ts)
}

// CloseTunnel closes a live tunnel by id (tun_…), subdomain or "tcp-<port>";
// the edge drops it at the agent.
func (c *Client) CloseTunnel(ctx context.Context, ref string) error {
	return c.do(ctx, http.MethodDelete, "/v1/tunnels/"+url.PathEscape(ref), nil, nil)
}

// Request is a captured request's summary, as lists and the stream show it.
type Request struct {
	ID         string    `json:"id"`
	Tunnel     string    `json:"tunnel,omitempty"`
	Method     string    `json:"method"`
	Path       string    `json:"path"`
	Status     int       `json:"status"`
	DurationMs int64     `json:"durationMs"` // rounded to the millisecond
	DurationUs int64     `json:"durationUs"` // the same, in microseconds
	Bytes      int64     `json:"bytes"`
	IP         string    `json:"ip,omitempty"`
	UserAgent  string    `json:"userAgent,omitempty"`
	Proto      string    `json:"proto,omitempty"`
	Host       string    `json:"host,omitempty"`
	ReplayOf   *string   `json:"replayOf"` // the original's id when this is a replay
	CreatedAt  time.Time `json:"createdAt"`

	// Modified and Overrides say a replay did not send the original's
	// bytes, and which fields it changed (kept raw: a list of names, or
	// an object keyed by field).
	Modified  bool            `json:"modified,omitempty"`
	Overrides json.RawMessage `json:"overrides,omitempty"`
	// Webhook is the webhook verifier's verdict (webhook.go; nil: none).
	Webhook *WebhookResult `json:"webhook,omitempty"`
}

// Millis is the request's duration in milliseconds with the precision
// durationUs keeps (durationMs alone from a server that has no durationUs).
func (r Request) Millis() float64 {
	if r.DurationUs == 0 {
		return float64(r.DurationMs)
	}
	return float64(r.DurationUs) / 1000
}

// Requests returns up to limit (default 100) captured requests, newest
// first, of one tunnel (subdomain), or of the whole account when tunnel is "".
func (c *Client) Requests(ctx context.Context, tunnel string, limit int) ([]Request, error) {
	if limit <= 0 {
		limit = 100
	}
	path := "/v1/requests"
	if tunnel != "" {
		path = "/api/v1/me/tunnels/" + url.PathEscape(tunnel) + "/requests"
	}
	per := min(limit, 100)
	var out []Request
	err := c.list(ctx, path+query("limit", itoa(per)), func(b []byte) (*string, bool, error) {
		var p struct {
			Requests []Request `json:"requests"`
			Next     *string   `json:"next_page_uri"`
		}
		err := json.Unmarshal(b, &p)
		out = append(out, p.Requests...)
		return p.Next, len(out) >= limit, err
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out, err
}

// Reservation is a reserved subdomain ({Subdomain}) or TCP port
// ({Proto: "tcp", Port, Name: "tcp:PORT"}); Name is what Release takes.
type Reservation struct {
	Subdomain string    `json:"subdomain,omitempty"`
	Proto     string    `json:"proto,omitempty"`
	Port      int       `json:"port,omitempty"`
	Name      string    `json:"name,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
}

// Reservations lists every reservation of the account, newest first.
func (c *Client) Reservations(ctx context.Context) ([]Reservation, error) {
	var out []Reservation
	err := c.list(ctx, "/api/v1/me/reservations", func(b []byte) (*string, bool, error) {
		var p struct {
			Reservations []Reservation `json:"reservations"`
			Next         *string       `json:"next_page_uri"`
		}
		err := json.Unmarshal(b, &p)
		out = append(out, p.Reservations...)
		return p.Next, false, err
	})
	return out, err
}

// Reserve reserves a subdomain.
func (c *Client) Reserve(ctx context.Context, sub string) (Reservation, error) {
	var r Reservation
	return r, c.do(ctx, http.MethodPost, "/api/v1/me/reservations", map[string]string{"subdomain": sub}, &r)
}

// ReservePort reserves a TCP port of the server's range; port 0 takes the
// lowest free one. Errors: 400 outside the range, 409 held by anyone, 429
// past the plan's reservedPorts, 503 no TCP range or no port left.
func (c *Client) ReservePort(ctx context.Context, port int) (Reservation, error) {
	var r Reservation
	body := map[string]any{"proto": "tcp"}
	if port != 0 {
		body["port"] = port
	}
	return r, c.do(ctx, http.MethodPost, "/api/v1/me/reservations", body, &r)
}

// Release releases a reserved subdomain, or a TCP port named "tcp:PORT".
func (c *Client) Release(ctx context.Context, sub string) error {
	return c.do(ctx, http.MethodDelete, "/api/v1/me/reservations/"+url.PathEscape(sub), nil, nil)
}

// Key is an API key's metadata (GET /v1/keys); Secret is set only by CreateKey.
type Key struct {
	ID          string     `json:"id"`
	Secret      string     `json:"key,omitempty"`
	Prefix      string     `json:"prefix"`
	Description string     `json:"description"`
	CreatedAt   time.Time  `json:"createdAt"`
	RevokedAt   *time.Time `json:"revokedAt"`
}

// Keys lists every key of the account, newest first.
func (c *Client) Keys(ctx context.Context) ([]Key, error) {
	var out []Key
	err := c.list(ctx, "/v1/keys", func(b []byte) (*string, bool, error) {
		var p struct {
			Keys []Key   `json:"keys"`
			Next *string `json:"next_page_uri"`
		}
		err := json.Unmarshal(b, &p)
		out = append(out, p.Keys...)
		return p.Next, false, err
	})
	return out, err
}

// CreateKey makes a key; the answer holds its secret, shown only this once.
func (c *Client) CreateKey(ctx context.Context, description string) (Key, error) {
	var k Key
	return k, c.do(ctx, http.MethodPost, "/v1/keys", map[string]string{"description": description}, &k)
}

// RevokeKey revokes a key of the account.
func (c *Client) RevokeKey(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/v1/keys/"+url.PathEscape(id), nil, nil)
}

// TXTRecord is the DNS record that proves control of a custom domain.
type TXTRecord struct {
	Name  string `json:"name"`
	Type  string `json:"type"`
	Value string `json:"value"`
}

// Domain is a custom domain and its verification state.
type Domain struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	State      string     `json:"state"`
	TXTRecord  TXTRecord  `json:"txtRecord"`
	LastError  string     `json:"lastError,omitempty"`
	CreatedAt  time.Time  `json:"createdAt"`
	VerifiedAt *time.Time `json:"verifiedAt"`
	CheckedAt  *time.Time `json:"checkedAt"`
}

// Domains lists every custom domain of the account, newest first.
func (c *Client) Domains(ctx context.Context) ([]Domain, error) {
	var out []Domain
	err := c.list(ctx, "/v1/domains", func(b []byte) (*string, bool, error) {
		var p struct {
			Domains []Domain `json:"domains"`
			Next    *string  `json:"next_page_uri"`
		}
		err := json.Unmarshal(b, &p)
		out = append(out, p.Domains...)
		return p.Next, false, err
	})
	return out, err
}

// AddDomain adds a custom domain; publish its TXTRecord, then VerifyDomain.
func (c *Client) AddDomain(ctx context.Context, name string) (Domain, error) {
	var d Domain
	return d, c.do(ctx, http.MethodPost, "/v1/domains", map[string]string{"name": name}, &d)
}

// VerifyDomain has the server look the TXT record up now.
func (c *Client) VerifyDomain(ctx context.Context, id string) (Domain, error) {
	var d Domain
	return d, c.do(ctx, http.MethodPost, "/v1/domains/"+url.PathEscape(id)+"/verify", nil, &d)
}

// RemoveDomain removes a custom domain.
func (c *Client) RemoveDomain(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/v1/domains/"+url.PathEscape(id), nil, nil)
}

// Quantities are the domains, tunnels and bandwidth of GET /v1/usage; a nil
// pointer is unlimited (JSON null).
type Quantities struct {
	Domains        *int64 `json:"domains"`
	Tunnels        *int64 `json:"tunnels"`
	BandwidthBytes *int64 `json:"bandwidthBytes"`
}

// Usage is GET /v1/usage.
type Usage struct {
	Plan   string     `json:"plan"`
	Limits Quantities `json:"limits"`
	Used   Quantities `json:"used"`
}

// Usage returns the account's plan, limits and current usage.
func (c *Client) Usage(ctx context.Context) (Usage, error) {
	var u Usage
	return u, c.do(ctx, http.MethodGet, "/v1/usage", nil, &u)
}

// Bandwidth is one day's bytes.
type Bandwidth struct {
	In    int64 `json:"in"`
	Out   int64 `json:"out"`
	Total int64 `json:"total"`
}

// UsageDay is one day of GET /v1/usage/history.
type UsageDay struct {
	Date           string    `json:"date"`
	Requests       int64     `json:"requests"`
	BandwidthBytes Bandwidth `json:"bandwidthBytes"`
	TunnelSeconds  int64     `json:"tunnelSeconds"`
}

// UsageHistory returns daily rollups from..to (YYYY-MM-DD, inclusive; ""
// lets the server default to the last 30 days), of one tunnel name when
// tunnel is set.
func (c *Client) UsageHistory(ctx context.Context, from, to, tunnel string) ([]UsageDay, error) {
	var h struct {
		Days []UsageDay `json:"days"`
	}
	return h.Days, c.do(ctx, http.MethodGet, "/v1/usage/history"+query("from", from, "to", to, "tunnel", tunnel), nil, &h)
}
