package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Client talks to one Warren server with one API key. The zero value is not
// usable; build one with New.
type Client struct {
	base string // e.g. http://localhost:8080, without a trailing slash
	key  string
	http *http.Client
}

// New returns a client for the server at baseURL authenticating with key.
// hc may be nil (http.DefaultClient); streams need one without a Timeout.
func New(baseURL, key string, hc *http.Client) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("server %q is not an http(s) URL", baseURL)
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	return &Client{base: u.String(), key: key, http: hc}, nil
}

// BaseURL is the server's URL as given to New, without a trailing slash.
func (c *Client) BaseURL() string { return c.base }

// Error is an error response of the API: {"error":"<code>","message":"…"}.
type Error struct {
	Status  int    // HTTP status
	Code    string `json:"error"`
	Message string `json:"message"`
}

func (e *Error) Error() string {
	switch {
	case e.Message != "":
		return e.Message
	case e.Code != "":
		return fmt.Sprintf("%s (HTTP %d)", e.Code, e.Status)
	}
	return fmt.Sprintf("HTTP %d", e.Status)
}

// request builds an authenticated request for path (relative to the base
// URL, or a full URL such as a next_page_uri on the same server).
func (c *Client) request(ctx context.Context, method, path string, body any) (*http.Request, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	u := path
	if !strings.HasPrefix(path, "http://") && !strings.HasPrefix(path, "https://") {
		u = c.base + path
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}

// do sends a request and decodes a 2xx JSON answer into out (when not nil);
// any other status becomes an *Error.
func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	req, err := c.request(ctx, method, path, body)
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := checkStatus(resp); err != nil {
		return err
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("decoding the answer to %s %s: %w", method, req.URL.Path, err)
	}
	return nil
}

// checkStatus turns a non-2xx response into an *Error, reading its body.
func checkStatus(resp *http.Response) error {
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	e := &Error{Status: resp.StatusCode}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if json.Unmarshal(b, e) != nil || e.Code == "" {
		e.Code = strings.ToLower(strings.ReplaceAll(http.StatusText(resp.StatusCode), " ", "_"))
		e.Message = strings.TrimSpace(string(b))
		if len(e.Message) > 200 || strings.Contains(e.Message, "<") {
			e.Message = ""
		}
	}
	return e
}

// maxPages bounds how many pages a list call follows, so a server that
// keeps answering next_page_uri cannot keep the CLI busy forever.
const maxPages = 1000

// list follows next_page_uri from path, calling add with each page's body,
// until the last page or until add reports it has enough.
func (c *Client) list(ctx context.Context, path string, add func(body []byte) (next *string, enough bool, err error)) error {
	for i := 0; path != "" && i < maxPages; i++ {
		var raw json.RawMessage
		if err := c.do(ctx, http.MethodGet, path, nil, &raw); err != nil {
			return err
		}
		next, enough, err := add(raw)
		if err != nil {
			return fmt.Errorf("decoding a page of %s: %w", path, err)
		}
		path = ""
		if next != nil && !enough {
			if path, err = c.sameServer(*next); err != nil {
				return err
			}
		}
	}
	return nil
}

// sameServer turns a next_page_uri into a path on the client's server. The
// key goes only where the user pointed the client: a URI naming another host
// is refused, and the client's own scheme is kept (a server behind a TLS
// proxy may not know it is reached over https).
func (c *Client) sameServer(uri string) (string, error) {
	u, err := url.Parse(uri)
	if err != nil {
		return "", fmt.Errorf("next_page_uri %q: %w", uri, err)
	}
	base, _ := url.Parse(c.base)
	if u.Host != "" && !strings.EqualFold(u.Host, base.Host) {
		return "", fmt.Errorf("next_page_uri %q points to another server than %s", uri, c.base)
	}
	return base.Scheme + "://" + base.Host + u.RequestURI(), nil
}

func query(kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			v.Set(kv[i], kv[i+1])
		}
	}
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

func itoa(n int) string { return strconv.Itoa(n) }
