package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// contract is an http.RoundTripper that checks every exchange with a real
// server against docs/openapi.yaml: the request with
// openapi3filter.ValidateRequest, the answer with ValidateResponse
// (undocumented statuses fail too) and, beyond what kin-openapi checks, no
// JSON property the spec does not declare. A violation is the round trip's
// error, so a test (or a generated client) using it fails on the call. It
// records which operations answered which statuses, for coverage.
type contract struct {
	doc    *openapi3.T
	router routers.Router
	base   http.RoundTripper

	mu   sync.Mutex
	seen map[string]map[int]bool // operationId → statuses answered
}

// offContract marks a request the spec itself forbids (a missing key, a
// limit over 100, a value outside an enum…), sent to check the server's
// refusal: its validation must FAIL, and only the answer is checked.
type offContractKey struct{}

func offContract(ctx context.Context) context.Context {
	return context.WithValue(ctx, offContractKey{}, true)
}

// newContract loads the spec for the servers at these URLs (the API, and
// the edge for the operations it serves).
func newContract(tb testing.TB, serverURLs ...string) *contract {
	tb.Helper()
	doc := mustSpec(tb)
	// The documented server is an example; route against the test's.
	doc.Servers = nil
	for _, u := range serverURLs {
		doc.Servers = append(doc.Servers, &openapi3.Server{URL: u})
	}
	r, err := gorillamux.NewRouter(doc)
	if err != nil {
		tb.Fatal(err)
	}
	return &contract{doc: doc, router: r, base: http.DefaultTransport, seen: map[string]map[int]bool{}}
}

// Client is an http.Client whose exchanges are all checked.
func (k *contract) Client() *http.Client { return &http.Client{Transport: k} }

func (k *contract) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		body = b
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	}
	route, params, err := k.router.FindRoute(req)
	if err != nil {
		return nil, fmt.Errorf("contract: %s %s is no operation of the spec: %w", req.Method, req.URL.Path, err)
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: presentCredentials, IncludeResponseStatus: true, MultiError: true}}
	// ValidateRequest reads the body; the server gets it afresh.
	reqErr := openapi3filter.ValidateRequest(req.Context(), in)
	req.Body = io.NopCloser(bytes.NewReader(body))
	off, _ := req.Context().Value(offContractKey{}).(bool)
	switch {
	case reqErr != nil && !off:
		return nil, fmt.Errorf("contract: request %s %s does not match the spec: %v", req.Method, req.URL, reqErr)
	case reqErr == nil && off:
		return nil, fmt.Errorf("contract: request %s %s was sent as off-contract but the spec allows it", req.Method, req.URL)
	}

	resp, err := k.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	k.mu.Lock()
	if k.seen[route.Operation.OperationID] == nil {
		k.seen[route.Operation.OperationID] = map[int]bool{}
	}
	k.seen[route.Operation.OperationID][resp.StatusCode] = true
	k.mu.Unlock()

	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode,
		Header: resp.Header, Options: in.Options}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt == "text/event-stream" || resp.StatusCode == http.StatusSwitchingProtocols {
		// A stream has no end, and an upgraded connection is no HTTP body:
		// status and headers only; the caller reads and closes it.
		opts := *in.Options
		opts.ExcludeResponseBody = true
		out.Options = &opts
		if err := openapi3filter.ValidateResponse(req.Context(), out); err != nil {
			resp.Body.Close()
			return nil, fmt.Errorf("contract: answer to %s %s: %v", req.Method, req.URL, err)
		}
		return resp, nil
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	out.SetBodyBytes(b)
	if err := openapi3filter.ValidateResponse(req.Context(), out); err != nil {
		return nil, fmt.Errorf("contract: answer %d to %s %s does not match the spec: %v; body %.600s", resp.StatusCode, req.Method, req.URL, err, b)
	}
	if err := k.checkBody(route.Operation, resp.StatusCode, resp.Header, b); err != nil {
		return nil, fmt.Errorf("contract: answer %d to %s %s: %v", resp.StatusCode, req.Method, req.URL, err)
	}
	return resp, nil
}

// checkBody goes beyond kin-openapi: a JSON answer may hold no property
// its schema does not declare, and each line of an NDJSON answer must
// match the schema its media type names in x-itemSchema (3.1 has no way
// to give a schema per line; kin-openapi skips a body without a schema).
func (k *contract) checkBody(op *openapi3.Operation, status int, h http.Header, body []byte) error {
	ref := op.Responses.Status(status)
	if ref == nil || ref.Value == nil || len(body) == 0 {
		return nil
	}
	mt, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	media := ref.Value.Content.Get(mt)
	if media == nil {
		return nil
	}
	switch {
	case mt == "application/json" && media.Schema != nil:
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			return fmt.Errorf("not JSON: %w", err)
		}
		if extra := undeclared(media.Schema.Value, v); len(extra) > 0 {
			return fmt.Errorf("properties the spec does not declare: %v", extra)
		}
	case mt == "application/x-ndjson":
		item, _ := media.Extensions["x-itemSchema"].(map[string]any)
		name, _ := item["$ref"].(string)
		line := k.doc.Components.Schemas[strings.TrimPrefix(name, "#/components/schemas/")]
		if line == nil {
			return fmt.Errorf("NDJSON answer without an x-itemSchema naming a component (%v)", item)
		}
		for i, l := range bytes.Split(bytes.TrimSuffix(body, []byte("\n")), []byte("\n")) {
			var v any
			if err := json.Unmarshal(l, &v); err != nil {
				return fmt.Errorf("line %d is not JSON: %w", i+1, err)
			}
			if err := line.Value.VisitJSON(v, openapi3.MultiErrors()); err != nil {
				return fmt.Errorf("line %d does not match %s: %w", i+1, name, err)
			}
			if extra := undeclared(line.Value, v); len(extra) > 0 {
				return fmt.Errorf("line %d: properties the spec does not declare: %v", i+1, extra)
			}
		}
	}
	return nil
}

// presentCredentials accepts a security requirement when the request
// carries that kind of credential (the server, not the spec, judges it).
func presentCredentials(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	r := in.RequestValidationInput.Request
	switch in.SecuritySchemeName {
	case "bearer":
		if strings.HasPrefix(strings.ToLower(r.Header.Get("Authorization")), "bearer ") {
			return nil
		}
	case "cookieAuth":
		for _, c := range r.Cookies() {
			if c.Name == cookieSecure || c.Name == cookieInsecure {
				return nil
			}
		}
	}
	return errors.New("no " + in.SecuritySchemeName + " credential")
}

// undeclared lists the properties of a JSON value that its schema does not
// declare (kin-openapi lets them pass, as the schemas don't close their
// objects): "$.tunnel" for a field the spec lacks. Objects without declared
// properties, or with additionalProperties, are free-form.
func undeclared(s *openapi3.Schema, v any) []string {
	var out []string
	walkUndeclared(s, v, "$", &out)
	sort.Strings(out)
	return slices.Compact(out)
}

func walkUndeclared(s *openapi3.Schema, v any, at string, out *[]string) {
	if s == nil {
		return
	}
	switch x := v.(type) {
	case map[string]any:
		props := map[string]*openapi3.SchemaRef{}
		var extra *openapi3.SchemaRef
		open := false
		collectProps(s, props, &extra, &open)
		for name, val := range x {
			switch p := props[name]; {
			case p != nil:
				walkUndeclared(p.Value, val, at+"."+name, out)
			case extra != nil:
				walkUndeclared(extra.Value, val, at+"."+name, out)
			case !open && len(props) > 0:
				*out = append(*out, at+"."+name)
			}
		}
	case []any:
		if s.Items != nil {
			for _, val := range x {
				walkUndeclared(s.Items.Value, val, at+"[]", out)
			}
		}
	}
}

// collectProps gathers a schema's properties with those of its allOf parts.
func collectProps(s *openapi3.Schema, props map[string]*openapi3.SchemaRef, extra **openapi3.SchemaRef, open *bool) {
	for name, p := range s.Properties {
		props[name] = p
	}
	if ap := s.AdditionalProperties; ap.Schema != nil {
		*extra = ap.Schema
	} else if ap.Has != nil && *ap.Has {
		*open = true
	}
	for _, part := range s.AllOf {
		if part.Value != nil {
			collectProps(part.Value, props, extra, open)
		}
	}
}

// checkCoverage fails for each operation that did not answer both a
// success and an error, so a new route without a contract case fails.
func (k *contract) checkCoverage(t *testing.T) {
	t.Helper()
	k.mu.Lock()
	defer k.mu.Unlock()
	var missing []string
	for path, item := range k.doc.Paths.Map() {
		for method, op := range item.Operations() {
			ok, bad := false, false
			for st := range k.seen[op.OperationID] {
				ok = ok || st < 300
				bad = bad || st >= 400
			}
			if !ok {
				missing = append(missing, fmt.Sprintf("%s (%s %s): no success case", op.OperationID, method, path))
			}
			if !bad {
				missing = append(missing, fmt.Sprintf("%s (%s %s): no error case", op.OperationID, method, path))
			}
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Error("not exercised against the spec: " + m)
	}
}
