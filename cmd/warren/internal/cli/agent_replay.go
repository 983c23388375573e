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

// RunReplay is `warren replay REQ_ID [--to URL]` or `warren replay --tunnel S [--status C] [--since D] [--to URL]`.
func RunReplay(ctx context.Context, e *command.Env, args []string) error {
	fs := command.NewFlagSet(e, "replay", "replay REQ_ID [--to URL]\n       warren replay --tunnel S [--status 5xx] [--since 1h] [--to URL]")
	cf := addConnFlags(fs)
	to := fs.String("to", "", "send to this local URL instead of through the tunnel (e.g. http://localhost:3000)")
	tunnel := fs.String("tunnel", "", "replay a filtered set of this tunnel's requests, oldest first (earlier replays are not replayed again)")
	status := fs.String("status", "", "with --tunnel: only these statuses (500, 5xx, 4xx…)")
	since := fs.Duration("since", 0, "with --tunnel: only requests newer than this (e.g. 1h)")
	limit := fs.Int("limit", 1000, "with --tunnel: look at most at this many recent requests")
	pos, err := parseArgs(fs, args)
	if err != nil {
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
	r := &replayer{apiCaller: apiCaller{server: strings.TrimSuffix(cfg.Server, "/"), key: cfg.Key, http: hc}, to: *to, out: e.Stdout}
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
	to  string
	out io.Writer
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
	if r.to == "" {
		return r.viaServer(ctx, id, ex.Request.Tunnel)
	}
	return r.local(ctx, ex)
}

func (r *replayer) viaServer(ctx context.Context, id, tunnel string) error {
	var cr domain.CapturedRequest
	path := "/api/v1/me/tunnels/" + url.PathEscape(tunnel) + "/requests/" + url.PathEscape(id) + "/replay"
	if err := r.call(ctx, "POST", path, nil, &cr); err != nil {
		return err
	}
	fmt.Fprintf(r.out, "%s %-6s %s %d %s  -> %s\n", id, cr.Method, cr.Path, cr.Status, fmtDuration(cr.DurationMs), cr.ID)
	return nil
}

// local sends the captured request to r.to, from the captured data alone.
func (r *replayer) local(ctx context.Context, ex httpapi.RequestExport) error {
	cr := ex.Request
	if cr.ReqBody.Truncated {
		return fmt.Errorf("%s: its body was truncated at capture (%d of %d bytes)", cr.ID, cr.ReqBody.Stored, cr.ReqBody.Size)
	}
	body, err := base64.StdEncoding.DecodeString(ex.RequestBody)
	if err != nil {
		return err
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
	req.Host = cr.Host
	start := time.Now()
	res, err := r.http.Do(req)
	if err != nil {
		return err
	}
	n, _ := io.Copy(io.Discard, res.Body)
	res.Body.Close()
	fmt.Fprintf(r.out, "%s %-6s %s %d %s  (%d bytes, sent to %s)\n", cr.ID, cr.Method, cr.Path, res.StatusCode,
		fmtDuration(float64(time.Since(start).Microseconds())/1000), n, r.to)
	return nil
}
