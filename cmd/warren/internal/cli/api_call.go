package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// apiCaller does raw JSON calls to the API for the commands that need a
// route or a shape the typed client does not have (a request's detail, a
// replay with overrides, the export), with the key and transport the
// command resolved.
type apiCaller struct {
	server, key string
	http        *http.Client
}

// call does one JSON API call into out (a *json.RawMessage keeps the
// answer as sent); an error answer becomes its message, with the status
// and code.
func (a apiCaller) call(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.server+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+a.key)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := a.http.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode >= 300 {
		var e struct{ Error, Message string }
		_ = json.NewDecoder(io.LimitReader(res.Body, 64<<10)).Decode(&e)
		if e.Message == "" {
			e.Message = res.Status
		}
		if res.StatusCode == http.StatusUnauthorized {
			return fmt.Errorf("%s (%d %s; check the key: `warren login`, or WARREN_API_KEY)", e.Message, res.StatusCode, e.Error)
		}
		return fmt.Errorf("%s (%d %s)", e.Message, res.StatusCode, e.Error)
	}
	return json.NewDecoder(res.Body).Decode(out)
}
