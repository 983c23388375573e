package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/oklog/ulid/v2"

	"warren/domain"
	"warren/edge"
	"warren/events"
	"warren/httpapi"
)

// routeDeps is everything the HTTP side is built from.
type routeDeps struct {
	Log        *events.Log
	BaseDomain string
	PublicPort int           // port shown in public URLs (0: the scheme's default)
	TCPPorts   [2]int        // zero: TCP tunnels disabled
	Resolver   *net.Resolver // custom-domain TXT checks
	Scheme     string        // "" or "http": public URLs are http; "https" behind TLS
	TCPHost    string        // bind address of TCP tunnel listeners
	Publisher  message.Publisher
	Subscriber message.Subscriber
	Logger     *slog.Logger
}

// routes builds the edge, whose Host router serves tunnels and agent
// sessions and hands the base domain (and api.<base>, and IP literals) to
// the API handler. /healthz lives in the API handler, so it never shadows a
// path of a tunnelled app. The API serves replay but the edge performs it;
// the edge needs the API's handler to be built, so the API gets a forwarder
// that is pointed at the edge once it exists, before anything is served.
func routes(d routeDeps) (*edge.Server, error) {
	replayer := &edgeReplayer{}
	apiSrv, err := httpapi.New(httpapi.Config{
		Log:        d.Log,
		BaseDomain: d.BaseDomain,
		Subscriber: d.Subscriber,
		Scheme:     schemeOverride(d.Scheme),
		Resolver:   d.Resolver,
		Rand:       rand.Reader,
		Logger:     d.Logger,
		Replayer:   replayer,
	})
	if err != nil {
		return nil, err
	}
	// Not an http.ServeMux: it answers a path that is not clean ("//",
	// "..") with an HTML redirect, and the API host answers JSON only
	// (httprouter, behind, gives those a JSON 404).
	health, apiHandler := healthz(d.Log), apiSrv.Handler()
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			health.ServeHTTP(w, r)
			return
		}
		apiHandler.ServeHTTP(w, r)
	})
	e, err := edge.New(edge.Config{
		Log:        d.Log,
		BaseDomain: d.BaseDomain,
		Scheme:     d.Scheme,
		PublicPort: d.PublicPort,
		API:        api,
		Subscriber: d.Subscriber,
		TCPPorts:   d.TCPPorts,
		TCPHost:    d.TCPHost,
		Logger:     d.Logger,
	})
	if err != nil {
		return nil, err
	}
	replayer.edge = e
	return e, nil
}

// edgeReplayer is the API's httpapi.Replayer: it forwards to the edge. The
// field is set once, in routes, before the listener serves a request, so
// reads need no lock (starting the serving goroutine orders them).
type edgeReplayer struct{ edge *edge.Server }

func (r *edgeReplayer) Replay(ctx context.Context, accountID, sub string, id ulid.ULID, o domain.ReplayOverrides) (domain.CapturedRequest, error) {
	return r.edge.Replay(ctx, accountID, sub, id, o)
}

// schemeOverride tells the API to force https in the URIs it builds when TLS
// terminates in front; for http it derives the scheme from each request.
func schemeOverride(scheme string) string {
	if scheme == "https" {
		return scheme
	}
	return ""
}

// healthz answers 200 {"status":"ok"} while the log can be read, else 503.
func healthz(l *events.Log) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		if _, err := l.Head(); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			json.NewEncoder(w).Encode(map[string]string{"status": "unavailable"})
			return
		}
		json.NewEncoder(w).Encode(map[string]string{"status": "ok"})
	})
}
