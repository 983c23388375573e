package cli

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"warren/cmd/warren/internal/command"
	"warren/domain"
	"warren/httpapi"
)

// RunReplay is `warren replay REQ_ID [--to URL] [edits]` or `warren replay
// --tunnel S [--status C] [--since D] [--to URL] [edits]`; the edits are
// --method, --path, --header K:V and --body-file F (replay_edit.go).
func RunReplay(ctx context.Context, e *command.Env, args []string) error {
	fs := command.NewFlagSet(e, "replay", "replay REQ_ID [--resign] [--to URL] [--method M] [--path P] [--header K:V]… [--body-file F]\n       warren replay --tunnel S [--status 5xx] [--since 1h] [--to URL] [edits]")
	cf := addConnFlags(fs)
	to := fs.String("to", "", "send to this local URL instead of through the tunnel (e.g. http://localhost:3000)")
	tunnel := fs.String("tunnel", "", "replay a filtered set of this tunnel's requests, oldest first (earlier replays are not replayed again)")
	status := fs.String("status", "", "with --tunnel: only these statuses (500, 5xx, 4xx…)")
	since := fs.Duration("since", 0, "with --tunnel: only requests newer than this (e.g. 1h)")
	limit := fs.Int("limit", 1000, "with --tunnel: look at most at this many recent requests")
	edits := addReplayEdits(fs)
	resign := fs.Bool("resign", false, "sign a captured webhook afresh with the tunnel's --verify-webhook secret (Stripe, Slack, Standard Webhooks expire after 5 minutes)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	ov, edited, err := edits.overrides(e.Stdin)
	if err != nil {
		return err
	}
	if err := applyResign(*resign, *to, &ov, &edited); err != nil { // flags_webhook.go
		return err
	}
	cfg, err := cf.resolve(e)
	if err != nil {
		return err
	}
	// A replay sends the captured request as it was: net/http would add
	// Accept-Encoding (and undo the encoding) and follow redirects.
	tr := cfg.transport()
	tr.DisableCompression = true
	hc := cfg.httpClientWith(tr, 5*time.Minute)
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	r := &replayer{apiCaller: apiCaller{server: strings.TrimSuffix(cfg.Server, "/"), key: cfg.Key, http: hc}, to: *to, out: e.Stdout, ov: ov, edited: edited}
	if *tunnel == "" {
		if err := wantArgs(fs, pos, 1, "REQ_ID (or --tunnel S)"); err != nil {
			return err
		}
		return r.one(ctx, pos[0], "")
	}
	if len(pos) > 0 {
		return &command.ExitError{Code: 2, Err: errors.New("give either REQ_ID or --tunnel, not both")}
	}
	match, err := statusMatcher(*status)
	if err != nil {
		return &command.ExitError{Code: 2, Err: err}
	}
	api, err := apiClient(e, cf, false)
	if err != nil {
		return err
	}
	reqs, err := api.Requests(ctx, *tunnel, *limit)
	if err != nil {
		return APIError(err)
	}
	cutoff := time.Time{}
	if *since > 0 {
		cutoff = time.Now().Add(-*since)
	}
	var ids []string
	for i := len(reqs) - 1; i >= 0; i-- { // the API lists newest first (by capture)
		q := reqs[i]
		// Re-delivering a set means its original requests: replays of them
		// (this command's earlier runs among them) would be sent twice.
		if q.ReplayOf == nil && match(q.Status) && (cutoff.IsZero() || q.CreatedAt.After(cutoff)) {
			ids = append(ids, q.ID)
		}
	}
	// The original order is the order they arrived in (createdAt); requests
	// are captured as they end, so a slow one is listed after later ones.
	arrived := make(map[string]time.Time, len(reqs))
	for _, q := range reqs {
		arrived[q.ID] = q.CreatedAt
	}
	slices.SortStableFunc(ids, func(a, b string) int { return arrived[a].Compare(arrived[b]) })
	if len(ids) == 0 {
		fmt.Fprintln(e.Stdout, "no matching requests")
		return nil
	}
	failed := 0
	for _, id := range ids {
		if err := r.one(ctx, id, *tunnel); err != nil {
			fmt.Fprintf(e.Stdout, "%s  error: %v\n", id, err)
			failed++
		}
	}
	fmt.Fprintf(e.Stdout, "replayed %d request%s, %d failed\n", len(ids), plural(len(ids)), failed)
	if failed > 0 {
		return &command.ExitError{Code: 1}
	}
	return nil
}

// statusMatcher parses "", "500" or "5xx".
func statusMatcher(s string) (func(int) bool, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return func(int) bool { return true }, nil
	}
	if len(s) == 3 && strings.HasSuffix(s, "xx") && s[0] >= '1' && s[0] <= '5' {
		class := int(s[0] - '0')
		return func(st int) bool { return st/100 == class }, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 100 || n > 599 {
		return nil, fmt.Errorf("--status %q: want a status like 502 or a class like 5xx", s)
	}
	return func(st int) bool { return st == n }, nil
}

type replayer struct {
	apiCaller
	to     string
	out    io.Writer
	ov     domain.ReplayOverrides // the edits; zero sends the capture as it was
	edited []string               // the fields ov changes, for the result line
}

// one replays a request through its tunnel, or to r.to when set.
func (r *replayer) one(ctx context.Context, id, tunnel string) error {
	if !strings.HasPrefix(id, domain.RequestIDPrefix) {
		id = domain.RequestIDPrefix + id
	}
	if r.to == "" && tunnel != "" {
		return r.viaServer(ctx, id, tunnel)
	}
	var ex httpapi.RequestExport
	if err := r.call(ctx, "GET", "/api/v1/me/requests/"+url.PathEscape(id)+"/export", nil, &ex); err != nil {
		return err
	}
	if cr := ex.Request; cr.ReqBody.Truncated && r.ov.Body == nil {
		// Said before sending, with the flag that fixes it.
		return fmt.Errorf("%s: its request body was truncated at capture (%d of %d bytes stored), so it cannot be re-sent as it was; pass the whole body with --body-file FILE (- for stdin)",
			id, cr.ReqBody.Stored, cr.ReqBody.Size)
	}
	if r.to == "" {
		return r.viaServer(ctx, id, ex.Request.Tunnel)
	}
	return r.local(ctx, ex)
}

func (r *replayer) viaServer(ctx context.Context, id, tunnel string) error {
	var cr domain.CapturedRequest
	path := "/api/v1/me/tunnels/" + url.PathEscape(tunnel) + "/requests/" + url.PathEscape(id) + "/replay"
	var body any // no edits: no body, the capture as it was
	if len(r.edited) > 0 {
		body = r.ov
	}
	if err := r.call(ctx, "POST", path, body, &cr); err != nil {
		return bodyFlagHint(err)
	}
	fmt.Fprintf(r.out, "%s %-6s %s %d %s  -> %s%s\n", id, cr.Method, cr.Path, cr.Status, fmtDuration(cr.DurationMs), cr.ID, r.editNote())
	return nil
}

// editNote is " (edited: method, body)" after a result, "" without edits.
func (r *replayer) editNote() string {
	if len(r.edited) == 0 {
		return ""
	}
	return " (edited: " + strings.Join(r.edited, ", ") + ")"
}

// local sends the captured request to r.to, from the captured data alone.
func (r *replayer) local(ctx context.Context, ex httpapi.RequestExport) error {
	cr := ex.Request
	body, err := base64.StdEncoding.DecodeString(ex.RequestBody)
	if err != nil {
		return err
	}
	// The edits apply here as the edge applies them (domain.ReplayOverrides).
	if r.ov.Method != nil {
		cr.Method = strings.ToUpper(*r.ov.Method)
	}
	if r.ov.Path != nil {
		cr.Path = *r.ov.Path
	}
	if r.ov.Body != nil {
		body = []byte(*r.ov.Body)
	}
	req, err := http.NewRequestWithContext(ctx, cr.Method, strings.TrimSuffix(r.to, "/")+cr.Path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	for k, vs := range cr.ReqHeaders {
		switch http.CanonicalHeaderKey(k) {
		case "Connection", "Keep-Alive", "Transfer-Encoding", "Upgrade", "Content-Length", "Te", "Trailer":
			continue
		}
		req.Header[k] = vs
	}
	for k, v := range r.ov.Headers {
		if req.Header.Del(k); v != "" {
			req.Header.Set(k, v)
		}
	}
	req.Host = cr.Host
	start := time.Now()
	res, err := r.http.Do(req)
	if err != nil {
		return err
	}
	n, _ := io.Copy(io.Discard, res.Body)
	res.Body.Close()
	fmt.Fprintf(r.out, "%s %-6s %s %d %s  (%d bytes, sent to %s)%s\n", cr.ID, cr.Method, cr.Path, res.StatusCode,
		fmtDuration(float64(time.Since(start).Microseconds())/1000), n, r.to, r.editNote())
	return nil
}
