package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// droppingStream is an SSE endpoint that serves events 1..total, cutting
// every connection after perConn events, resuming after Last-Event-ID. It
// stands in for the network's misbehaviour, not for Warren's own handler
// (which the httpapi tests drive with this client).
type droppingStream struct {
	total, perConn int
	mu             sync.Mutex
	lastIDs        []string
}

func (s *droppingStream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer ak_test" {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"error":"unauthorized"}`)
		return
	}
	s.mu.Lock()
	s.lastIDs = append(s.lastIDs, r.Header.Get("Last-Event-ID"))
	s.mu.Unlock()
	next := 1
	if id := r.Header.Get("Last-Event-ID"); id != "" {
		n, _ := strconv.Atoi(strings.TrimPrefix(id, "req_"))
		next = n + 1
	}
	w.Header().Set("Content-Type", "text/event-stream")
	fmt.Fprint(w, ": hello\n\n")
	for i := 0; i < s.perConn && next <= s.total; i++ {
		fmt.Fprintf(w, "event: request\nid: %d\ndata: {\"method\":\"GET\",\"path\":\"/%d\",\"status\":200}\n\n", next, next)
		next++
	}
	if next > s.total {
		// The end of the test's events: hold the stream open like the server.
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}
}

func TestClient_FollowRequests(t *testing.T) {
	t.Run("ResumesWithoutGapOrDuplicate", func(t *testing.T) {
		s := &droppingStream{total: 500, perConn: 37}
		srv := httptest.NewServer(s)
		defer srv.Close()
		c, err := New(srv.URL, "ak_test", nil)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		var got []string
		err = c.FollowRequests(ctx, "app", "", func(r Request) error {
			got = append(got, r.ID)
			if len(got) == s.total {
				cancel()
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != s.total {
			t.Fatalf("got %d events, want %d", len(got), s.total)
		}
		for i, id := range got {
			if id != strconv.Itoa(i+1) {
				t.Fatalf("event %d has id %s", i, id)
			}
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if len(s.lastIDs) < 500/37 || s.lastIDs[0] != "" || s.lastIDs[1] != "37" {
			t.Fatalf("Last-Event-IDs sent: %v", s.lastIDs)
		}
	})
	t.Run("StartsAfterLastID", func(t *testing.T) {
		s := &droppingStream{total: 10, perConn: 100}
		srv := httptest.NewServer(s)
		defer srv.Close()
		c, _ := New(srv.URL, "ak_test", nil)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		var got []string
		_ = c.FollowRequests(ctx, "app", "req_7", func(r Request) error {
			got = append(got, r.ID+r.Path)
			if len(got) == 3 {
				cancel()
			}
			return nil
		})
		if strings.Join(got, ",") != "8/8,9/9,10/10" {
			t.Fatalf("got %v", got)
		}
	})
	t.Run("ErrUnauthorizedStops", func(t *testing.T) {
		srv := httptest.NewServer(&droppingStream{total: 1, perConn: 1})
		defer srv.Close()
		c, _ := New(srv.URL, "ak_wrong", nil)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err := c.FollowRequests(ctx, "app", "", func(Request) error { return nil })
		var ae *Error
		if !errors.As(err, &ae) || ae.Status != 401 || ae.Code != "unauthorized" {
			t.Fatalf("err = %v, want the API's 401", err)
		}
	})
	t.Run("ErrCallbackStops", func(t *testing.T) {
		srv := httptest.NewServer(&droppingStream{total: 5, perConn: 5})
		defer srv.Close()
		c, _ := New(srv.URL, "ak_test", nil)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		boom := errors.New("boom")
		if err := c.FollowRequests(ctx, "app", "", func(Request) error { return boom }); !errors.Is(err, boom) {
			t.Fatalf("err = %v, want boom", err)
		}
	})
}
