package client

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// FollowRequests streams a tunnel's new captured requests to fn, in order,
// from GET /api/v1/me/tunnels/{sub}/requests/stream (every tunnel's when sub
// is ""). When the connection
// drops it reconnects with Last-Event-ID set to the last id delivered, so the
// server resumes from the log with no gap and no duplicate. lastID ("" for
// "from now") is where to start. It returns when ctx ends (nil), when fn
// fails, or on an API error such as 401 or 404 (an *Error): those will not
// get better by retrying.
func (c *Client) FollowRequests(ctx context.Context, sub, lastID string, fn func(Request) error) error {
	path := "/api/v1/me/tunnels/" + url.PathEscape(sub) + "/requests/stream"
	if sub == "" {
		path = "/api/v1/me/requests/stream" // every tunnel's
	}
	backoff := 100 * time.Millisecond
	for {
		delivered, err := c.streamOnce(ctx, path, &lastID, fn)
		if ctx.Err() != nil {
			return nil
		}
		var apiErr *Error
		var fnErr *callbackError
		switch {
		case errors.As(err, &apiErr) && apiErr.Status < 500:
			return err
		case errors.As(err, &fnErr):
			return fnErr.err
		}
		if delivered {
			backoff = 100 * time.Millisecond
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// callbackError marks an error of the caller's fn, which ends the stream.
type callbackError struct{ err error }

func (e *callbackError) Error() string { return e.err.Error() }

// streamOnce reads one connection's events until it ends; delivered reports
// whether any event got through (so a healthy reconnect resets the backoff).
func (c *Client) streamOnce(ctx context.Context, path string, lastID *string, fn func(Request) error) (delivered bool, err error) {
	req, err := c.request(ctx, http.MethodGet, path, nil)
	if err != nil {
		return false, err
	}
	req.Header.Set("Accept", "text/event-stream")
	if *lastID != "" {
		req.Header.Set("Last-Event-ID", *lastID)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	if err := checkStatus(resp); err != nil {
		return false, err
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var ev sseEvent
	for sc.Scan() {
		line := sc.Text()
		if line != "" {
			ev.add(line)
			continue
		}
		// A blank line ends an event.
		if ev.event == "request" || ev.event == "" && ev.data.Len() > 0 {
			var r Request
			if err := json.Unmarshal([]byte(ev.data.String()), &r); err != nil {
				return delivered, fmt.Errorf("decoding a stream event: %w", err)
			}
			if r.ID == "" {
				r.ID = ev.id
			}
			if err := fn(r); err != nil {
				return delivered, &callbackError{err}
			}
			delivered = true
		}
		if ev.id != "" {
			*lastID = ev.id
		}
		ev = sseEvent{}
	}
	return delivered, sc.Err()
}

// sseEvent accumulates the fields of one server-sent event.
type sseEvent struct {
	event, id string
	data      strings.Builder
}

func (e *sseEvent) add(line string) {
	if strings.HasPrefix(line, ":") {
		return // a comment: the heartbeat
	}
	field, value, _ := strings.Cut(line, ":")
	value = strings.TrimPrefix(value, " ")
	switch field {
	case "event":
		e.event = value
	case "id":
		e.id = value
	case "data":
		if e.data.Len() > 0 {
			e.data.WriteByte('\n')
		}
		e.data.WriteString(value)
	}
}
