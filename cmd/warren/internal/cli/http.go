package cli

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"warren/cmd/warren/internal/command"
	"warren/httpapi/client"
)

// GetWithKey sends an authenticated GET for path to server with key (an
// operator command's --server and --key), under the same rules as every
// command that sends a key: WARREN_CA or the saved CA is trusted, and
// plain http to a host that is not loopback needs WARREN_INSECURE (or the
// saved login's --insecure); see get.
func GetWithKey(ctx context.Context, e *command.Env, server, key, path string, stream bool, hdr ...string) (*http.Response, error) {
	cfg, err := resolveFor(e, server)
	if err != nil {
		return nil, err
	}
	cfg.Key = key
	c, err := checkConn(cfg)
	if err != nil {
		return nil, err
	}
	return c.get(ctx, path, stream, hdr...)
}

// ClientWithKey is an API client for server with key (an operator
// command's --server and --key), under the rules GetWithKey states.
func ClientWithKey(e *command.Env, server, key string) (*client.Client, error) {
	cfg, err := resolveFor(e, server)
	if err != nil {
		return nil, err
	}
	cfg.Key = key
	c, err := checkConn(cfg)
	if err != nil {
		return nil, err
	}
	return client.New(server, key, c.httpClient(30*time.Second))
}

// get sends an authenticated GET for path (relative to c's server, or a
// full next_page_uri) and returns the response when it is 2xx, or a
// *client.Error. stream drops the overall timeout (SSE, backups).
func (c conn) get(ctx context.Context, path string, stream bool, hdr ...string) (*http.Response, error) {
	// A full URL (next_page_uri) is followed on c's server: the key goes
	// where it was given for, never to a host or scheme the answer names
	// (a proxy's inner http address, the key in clear).
	u := strings.TrimRight(c.Server, "/") + path
	if next, err := url.Parse(path); err == nil && next.IsAbs() {
		base, err := url.Parse(c.Server)
		if err != nil {
			return nil, err
		}
		u = base.Scheme + "://" + base.Host + next.RequestURI() // as httpapi/client follows it
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.Key)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	timeout := 30 * time.Second
	if stream {
		timeout = 0
	}
	resp, err := c.httpClient(timeout).Do(req)
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
func (c conn) getJSON(ctx context.Context, path string, v any) error {
	resp, err := c.get(ctx, path, false)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(v)
}
