package httpapi

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"warren/domain"
)

// HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/): the fields the
// spec requires are always present; sizes Warren does not know are -1.
type (
	harNV struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	}
	harCookie struct {
		Name     string `json:"name"`
		Value    string `json:"value"`
		Path     string `json:"path,omitempty"`
		Domain   string `json:"domain,omitempty"`
		Expires  string `json:"expires,omitempty"`
		HTTPOnly bool   `json:"httpOnly,omitempty"`
		Secure   bool   `json:"secure,omitempty"`
	}
	harPostData struct {
		MimeType string  `json:"mimeType"`
		Params   []harNV `json:"params"`
		Text     string  `json:"text"`
		Comment  string  `json:"comment,omitempty"`
	}
	harRequest struct {
		Method      string       `json:"method"`
		URL         string       `json:"url"`
		HTTPVersion string       `json:"httpVersion"`
		Cookies     []harCookie  `json:"cookies"`
		Headers     []harNV      `json:"headers"`
		QueryString []harNV      `json:"queryString"`
		PostData    *harPostData `json:"postData,omitempty"`
		HeadersSize int64        `json:"headersSize"`
		BodySize    int64        `json:"bodySize"`
	}
	harContent struct {
		Size     int64  `json:"size"`
		MimeType string `json:"mimeType"`
		Text     string `json:"text,omitempty"`
		Encoding string `json:"encoding,omitempty"`
		Comment  string `json:"comment,omitempty"`
	}
	harResponse struct {
		Status      int         `json:"status"`
		StatusText  string      `json:"statusText"`
		HTTPVersion string      `json:"httpVersion"`
		Cookies     []harCookie `json:"cookies"`
		Headers     []harNV     `json:"headers"`
		Content     harContent  `json:"content"`
		RedirectURL string      `json:"redirectURL"`
		HeadersSize int64       `json:"headersSize"`
		BodySize    int64       `json:"bodySize"`
	}
	harTimings struct {
		Blocked float64 `json:"blocked"`
		DNS     float64 `json:"dns"`
		Connect float64 `json:"connect"`
		Send    float64 `json:"send"`
		Wait    float64 `json:"wait"`
		Receive float64 `json:"receive"`
		SSL     float64 `json:"ssl"`
	}
	harEntry struct {
		StartedDateTime string      `json:"startedDateTime"`
		Time            float64     `json:"time"`
		Request         harRequest  `json:"request"`
		Response        harResponse `json:"response"`
		Cache           struct{}    `json:"cache"`
		Timings         harTimings  `json:"timings"`
		ServerIPAddress string      `json:"serverIPAddress,omitempty"`
		Comment         string      `json:"comment,omitempty"`
		// Warren's own fields, prefixed with _ as the spec asks.
		ID     string `json:"_id"`
		Tunnel string `json:"_tunnel"`
		Kind   string `json:"_kind"`
		Error  string `json:"_error,omitempty"`
		// issue 17: the webhook verifier's verdict, when the tunnel has one.
		Webhook *domain.WebhookResult `json:"_webhook,omitempty"`
		// The access rule that refused the visitor (basic_auth, ip, oidc).
		Denied string `json:"_denied,omitempty"`
		// A replay's: the request it replays, whether its overrides
		// changed it (false: the captured bytes again) and which fields.
		ReplayOf  string   `json:"_replayOf,omitempty"`
		Modified  *bool    `json:"_modified,omitempty"`
		Overrides []string `json:"_overrides,omitempty"`
	}
)

// harExporter streams {"log":{…,"entries":[…]}} one entry at a time.
type harExporter struct {
	w      *bufio.Writer
	scheme string
	n      int
}

func (e *harExporter) begin() error {
	_, err := e.w.WriteString(`{"log":{"version":"1.2","creator":{"name":"Warren","version":"` + APIVersion +
		`"},"pages":[],"entries":[`)
	return err
}

func (e *harExporter) end() error {
	_, err := e.w.WriteString("]}}\n")
	return err
}

// entry writes x; raw TCP connections have no HTTP shape and are skipped.
func (e *harExporter) entry(x *exported) error {
	if x.cr.Kind == domain.KindTCP {
		return nil
	}
	b, err := json.Marshal(e.toEntry(x))
	if err != nil {
		return err
	}
	if e.n > 0 {
		e.w.WriteByte(',')
	}
	e.n++
	_, err = e.w.Write(b)
	return err
}

func (e *harExporter) toEntry(x *exported) harEntry {
	cr := &x.cr
	proto := cr.Proto
	if proto == "" {
		proto = "HTTP/1.1"
	}
	u := e.scheme + "://" + cr.Host + cr.Path
	reqH, respH := http.Header(cr.ReqHeaders), http.Header(cr.RespHeaders)
	en := harEntry{
		StartedDateTime: cr.CreatedAt.UTC().Format(time.RFC3339Nano),
		Time:            cr.DurationMs,
		Request: harRequest{
			Method: cr.Method, URL: u, HTTPVersion: proto,
			Cookies: requestCookies(reqH), Headers: harHeaders(reqH), QueryString: harQuery(cr.Path),
			HeadersSize: -1, BodySize: cr.ReqBody.Size,
		},
		Response: harResponse{
			Status: cr.Status, StatusText: http.StatusText(cr.Status), HTTPVersion: proto,
			Cookies: responseCookies(respH), Headers: harHeaders(respH),
			Content:     harContent{Size: cr.RespBody.Size, MimeType: respH.Get("Content-Type")},
			RedirectURL: respH.Get("Location"), HeadersSize: -1, BodySize: cr.RespBody.Size,
		},
		// Warren measures time to first byte and the whole exchange only.
		Timings: harTimings{Blocked: -1, DNS: -1, Connect: -1, SSL: -1,
			Send: 0, Wait: cr.TTFBMs, Receive: max(0, cr.DurationMs-cr.TTFBMs)},
		ID:     domain.RequestIDPrefix + x.id.String(),
		Tunnel: cr.Tunnel, Kind: cr.Kind, Error: cr.Error, Webhook: cr.Webhook, Denied: cr.Denied,
	}
	if cr.Method == "" {
		en.Request.Method = http.MethodGet
	}
	if cr.ReplayOf != "" {
		modified := len(cr.Overrides) > 0
		en.ReplayOf, en.Modified, en.Overrides = replayID(cr.ReplayOf), &modified, cr.Overrides
	}
	if cr.ReqBody.Size > 0 || x.bodies[0] != nil {
		pd := &harPostData{MimeType: reqH.Get("Content-Type"), Params: []harNV{}}
		text, b64, note := bodyText(x.bodies[0], cr.ReqBody, x.prunedAt[0])
		pd.Text, pd.Comment = text, note
		if b64 { // HAR's postData has no encoding field
			pd.Comment = strings.TrimSuffix("text is base64: the body is not UTF-8; "+note, "; ")
		}
		en.Request.PostData = pd
	}
	text, b64, note := bodyText(x.bodies[1], cr.RespBody, x.prunedAt[1])
	en.Response.Content.Text, en.Response.Content.Comment = text, note
	if b64 {
		en.Response.Content.Encoding = "base64"
	}
	if cr.Error != "" {
		en.Comment = "warren: " + cr.Error
	}
	return en
}

// bodyText renders a stored body for HAR: UTF-8 as is, anything else base64
// (note "base64"); a body that is missing says why in the note.
// A truncated body's note says so whatever its encoding, and a text body
// cut in the middle of a character stays text (without the partial one).
func bodyText(b []byte, info domain.BodyInfo, prunedAt time.Time) (text string, base64Text bool, note string) {
	switch {
	case b == nil && !prunedAt.IsZero() && info.Stored > 0:
		return "", false, "body pruned by retention at " + prunedAt.UTC().Format(time.RFC3339)
	case b == nil && info.Size > 0:
		return "", false, "body not stored"
	}
	t := b
	if info.Truncated {
		note = "truncated at capture to " + strconv.FormatInt(info.Stored, 10) + " of " + strconv.FormatInt(info.Size, 10) + " bytes"
		t = withoutPartialRune(b)
	}
	if utf8.Valid(t) {
		return string(t), false, note
	}
	return base64.StdEncoding.EncodeToString(b), true, note // every stored byte
}

// withoutPartialRune drops an incomplete UTF-8 sequence at the end of b.
func withoutPartialRune(b []byte) []byte {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				return b[:i]
			}
			break
		}
	}
	return b
}

// harHeaders flattens headers in a stable order.
func harHeaders(h http.Header) []harNV {
	out := []harNV{}
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		for _, v := range h[k] {
			out = append(out, harNV{Name: k, Value: v})
		}
	}
	return out
}

// harQuery lists the query string of a path, in order.
func harQuery(path string) []harNV {
	out := []harNV{}
	_, raw, ok := strings.Cut(path, "?")
	if !ok {
		return out
	}
	for _, kv := range strings.Split(raw, "&") {
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		if uk, err := url.QueryUnescape(k); err == nil {
			k = uk
		}
		if uv, err := url.QueryUnescape(v); err == nil {
			v = uv
		}
		out = append(out, harNV{Name: k, Value: v})
	}
	return out
}

func requestCookies(h http.Header) []harCookie {
	out := []harCookie{}
	for _, c := range (&http.Request{Header: h}).Cookies() {
		out = append(out, harCookie{Name: c.Name, Value: c.Value})
	}
	return out
}

func responseCookies(h http.Header) []harCookie {
	out := []harCookie{}
	for _, c := range (&http.Response{Header: h}).Cookies() {
		hc := harCookie{Name: c.Name, Value: c.Value, Path: c.Path, Domain: c.Domain, HTTPOnly: c.HttpOnly, Secure: c.Secure}
		if !c.Expires.IsZero() {
			hc.Expires = c.Expires.UTC().Format(time.RFC3339)
		}
		out = append(out, hc)
	}
	return out
}
