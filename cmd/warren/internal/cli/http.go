package cli

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"warren/cmd/warren/internal/command"
	"warren/httpapi/client"
)

// auditGet sends an authenticated GET for path (relative to the logged-in
// server, or a full next_page_uri) and returns the response when it is 2xx,
// or a *client.Error. stream drops the overall timeout (SSE, backups).
func auditGet(ctx context.Context, e *command.Env, path string, stream bool, hdr ...string) (*http.Response, error) {
	c, err := ResolveConfig(e)
	if err != nil {
		return nil, err
	}
	if c.Server == "" || c.Key == "" {
		return nil, errors.New("not logged in: run `warren login --server URL --key KEY` (or set WARREN_SERVER and WARREN_API_KEY)")
	}
	return GetWithKey(ctx, c.Server, c.Key, path, stream, hdr...)
}

// getWithKey is auditGet against an explicit server and key.
func GetWithKey(ctx context.Context, server, key, path string, stream bool, hdr ...string) (*http.Response, error) {
	u := path
	if !strings.HasPrefix(path, "http://") && !strings.HasPrefix(path, "https://") {
		u = strings.TrimRight(server, "/") + path
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	hc := &http.Client{Timeout: 30 * time.Second}
	if stream {
		hc = &http.Client{}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp, nil
	}
	defer resp.Body.Close()
	ae := &client.Error{Status: resp.StatusCode}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if json.Unmarshal(b, ae) != nil || ae.Code == "" {
		ae.Code = strings.ToLower(strings.ReplaceAll(http.StatusText(resp.StatusCode), " ", "_"))
	}
	return nil, ae
}

// getJSON GETs path and decodes the JSON body into v.
func getJSON(ctx context.Context, e *command.Env, path string, v any) error {
	resp, err := auditGet(ctx, e, path, false)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(v)
}
