package cli

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"warren/cmd/warren/internal/command"
	"warren/domain"
	"warren/httpapi/client"
)

// requestDetail is the API's GET …/tunnels/{sub}/requests/{id}, as far as
// `requests show` prints it.
type requestDetail struct {
	ID         string          `json:"id"`
	Tunnel     string          `json:"tunnel"`
	Kind       string          `json:"kind"`
	Method     string          `json:"method"`
	Path       string          `json:"path"`
	Status     int             `json:"status"`
	DurationMs float64         `json:"durationMs"`
	DurationUs int64           `json:"durationUs"`
	BytesIn    int64           `json:"bytesIn"`
	BytesOut   int64           `json:"bytesOut"`
	IP         string          `json:"ip"`
	UserAgent  string          `json:"userAgent"`
	Proto      string          `json:"proto"`
	Host       string          `json:"host"`
	Error      *string         `json:"error"`
	ReplayOf   *string         `json:"replayOf"`
	Modified   bool            `json:"modified"`
	Overrides  json.RawMessage `json:"overrides"`
	CreatedAt  time.Time       `json:"createdAt"`
	Request    exchangeView    `json:"request"`
	Response   exchangeView    `json:"response"`
	Pruned     bool            `json:"bodiesPruned"`
	// issue 17: the webhook verdict (webhook_note.go).
	Webhook *client.WebhookResult `json:"webhook"`
}

type exchangeView struct {
	Headers map[string][]string `json:"headers"`
	Body    struct {
		Size      int64   `json:"size"`
		Stored    int64   `json:"stored"`
		Truncated bool    `json:"truncated"`
		Available bool    `json:"available"`
		Encoding  string  `json:"encoding"`
		Data      *string `json:"data"`
	} `json:"body"`
}

// bytes is the stored body; ok false when none is (pruned).
func (x exchangeView) bytes() ([]byte, bool) {
	if !x.Body.Available || x.Body.Data == nil {
		return nil, false
	}
	if x.Body.Encoding == "base64" {
		b, err := base64.StdEncoding.DecodeString(*x.Body.Data)
		return b, err == nil
	}
	return []byte(*x.Body.Data), true
}

// RunRequestShow is `warren requests show REQ_ID [--tunnel S] [--raw|--json]`.
func RunRequestShow(ctx context.Context, e *command.Env, args []string) error {
	fs := command.NewFlagSet(e, "requests show", "requests show REQ_ID [--tunnel SUBDOMAIN] [--raw | --json]")
	cf := addConnFlags(fs)
	tunnel := fs.String("tunnel", "", "the request's tunnel (default: looked up, one more call)")
	raw := fs.Bool("raw", false, "print the exchange as it crossed the tunnel: request line, headers and body, then the response's")
	asJSON := fs.Bool("json", false, "print the API's JSON for the request (headers and bodies included)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(fs, pos, 1, "REQ_ID"); err != nil {
		return err
	}
	if *raw && *asJSON {
		return &command.ExitError{Code: 2, Err: errors.New("give --raw or --json, not both")}
	}
	cfg, err := cf.resolve(e)
	if err != nil {
		return err
	}
	api := apiCaller{server: strings.TrimSuffix(cfg.Server, "/"), key: cfg.Key, http: cfg.httpClient(30 * time.Second)}
	id := pos[0]
	if !strings.HasPrefix(id, domain.RequestIDPrefix) {
		id = domain.RequestIDPrefix + id
	}
	sub := *tunnel
	if sub == "" {
		// The detail route is per tunnel; the export route finds it by id.
		var ex struct {
			Request struct{ Tunnel string } `json:"request"`
		}
		if err := api.call(ctx, http.MethodGet, "/api/v1/me/requests/"+url.PathEscape(id)+"/export", nil, &ex); err != nil {
			return err
		}
		sub = ex.Request.Tunnel
	}
	var body json.RawMessage
	if err := api.call(ctx, http.MethodGet, "/api/v1/me/tunnels/"+url.PathEscape(sub)+"/requests/"+url.PathEscape(id), nil, &body); err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(e.Stdout, body)
	}
	var d requestDetail
	if err := json.Unmarshal(body, &d); err != nil {
		return fmt.Errorf("reading the request's JSON: %w", err)
	}
	if *raw {
		return writeRawExchange(e.Stdout, e.Stderr, d)
	}
	return writeRequestDetail(e.Stdout, d)
}

// writeRequestDetail prints the summary, then each side's headers and body.
func writeRequestDetail(w io.Writer, d requestDetail) error {
	ms := d.DurationMs
	if d.DurationUs != 0 {
		ms = float64(d.DurationUs) / 1000
	}
	fmt.Fprintf(w, "%s  %s %s  %d %s  %s\n", d.ID, orDash(d.Method), orDash(d.Path), d.Status, http.StatusText(d.Status), fmtDuration(ms))
	t := &table{tw: tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)}
	t.row("  tunnel", d.Tunnel+"  ("+orDash(d.Host)+")")
	t.row("  time", d.CreatedAt.UTC().Format("2006-01-02 15:04:05.000 UTC"))
	t.row("  client", strings.TrimSpace(orDash(d.IP)+"  "+d.Proto+"  "+d.UserAgent))
	t.row("  bytes", fmt.Sprintf("in %s, out %s", humanBytes(d.BytesIn), humanBytes(d.BytesOut)))
	if n := replayNote(deref(d.ReplayOf), d.Modified, overrideNames(d.Overrides)); n != "" {
		t.row("  replay", n)
	}
	if d.Error != nil && *d.Error != "" {
		t.row("  error", *d.Error)
	}
	if n := detailWebhookNote(d.Webhook); n != "" { // webhook_note.go
		t.row("  webhook", n)
	}
	if err := t.flush(); err != nil {
		return err
	}
	if d.Kind != "" && d.Kind != domain.KindHTTP {
		return nil // a TCP or WebSocket capture has no HTTP sides to show
	}
	writeSide(w, "request", d.Request, d.Pruned)
	writeSide(w, "response", d.Response, d.Pruned)
	return nil
}

// writeSide prints one side's headers, sorted, and its body by content type.
func writeSide(w io.Writer, side string, x exchangeView, pruned bool) {
	fmt.Fprintf(w, "\n── %s headers\n", side)
	if len(x.Headers) == 0 {
		fmt.Fprintln(w, "(none)")
	}
	for _, k := range sortedKeys(x.Headers) {
		for _, v := range x.Headers[k] {
			fmt.Fprintf(w, "%s: %s\n", k, v)
		}
	}
	b := x.Body
	var notes []string
	if ct := header(x.Headers, "Content-Type"); ct != "" {
		notes = append(notes, ct)
	}
	notes = append(notes, humanBytes(b.Size))
	if b.Truncated {
		notes = append(notes, fmt.Sprintf("truncated at capture: %d of %d bytes stored", b.Stored, b.Size))
	}
	data, ok := x.bytes()
	var text string
	if ok {
		var note string
		text, note = bodyView(data, header(x.Headers, "Content-Type"), header(x.Headers, "Content-Encoding"))
		if note != "" {
			notes = append(notes, note)
		}
	}
	fmt.Fprintf(w, "\n── %s body (%s)\n", side, strings.Join(notes, ", "))
	switch {
	case !ok && pruned:
		fmt.Fprintln(w, "(not available: retention pruned it)")
	case !ok:
		fmt.Fprintln(w, "(not available)")
	case text == "":
		fmt.Fprintln(w, "(empty)")
	default:
		fmt.Fprint(w, text)
		if !strings.HasSuffix(text, "\n") {
			fmt.Fprintln(w)
		}
	}
}

// writeRawExchange prints the exchange as HTTP/1.1 text, bodies as their
// stored bytes; what is missing from them is said on stderr, so stdout
// stays the exchange.
func writeRawExchange(w, errw io.Writer, d requestDetail) error {
	proto := d.Proto
	if proto == "" {
		proto = "HTTP/1.1"
	}
	fmt.Fprintf(w, "%s %s %s\r\n", d.Method, d.Path, proto)
	if header(d.Request.Headers, "Host") == "" && d.Host != "" {
		fmt.Fprintf(w, "Host: %s\r\n", d.Host)
	}
	rawSide(w, errw, "request", d.Request)
	fmt.Fprintf(w, "\r\n%s %d %s\r\n", proto, d.Status, http.StatusText(d.Status))
	rawSide(w, errw, "response", d.Response)
	return nil
}

func rawSide(w, errw io.Writer, side string, x exchangeView) {
	for _, k := range sortedKeys(x.Headers) {
		for _, v := range x.Headers[k] {
			fmt.Fprintf(w, "%s: %s\r\n", k, v)
		}
	}
	fmt.Fprint(w, "\r\n")
	data, ok := x.bytes()
	w.Write(data)
	switch {
	case !ok:
		fmt.Fprintf(errw, "warren: the %s body is not available (pruned)\n", side)
	case x.Body.Truncated:
		fmt.Fprintf(errw, "warren: the %s body was truncated at capture: %d of %d bytes stored\n", side, x.Body.Stored, x.Body.Size)
	}
}

func sortedKeys(h map[string][]string) []string {
	ks := make([]string, 0, len(h))
	for k := range h {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// header is h's first value of name, in any case.
func header(h map[string][]string, name string) string {
	for k, vs := range h {
		if strings.EqualFold(k, name) && len(vs) > 0 {
			return vs[0]
		}
	}
	return ""
}
