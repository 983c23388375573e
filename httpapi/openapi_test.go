package httpapi

import (
	"regexp"
	"sort"
	"testing"
)

var httprouterArg = regexp.MustCompile(`:(\w+)`)

// openAPIRoutes lists the "METHOD /path" operations of docs/openapi.yaml,
// as kin-openapi loads it, leaving out those marked "x-served-by: edge"
// (the edge answers them before the API handler).
func openAPIRoutes(t *testing.T) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for path, item := range mustSpec(t).Paths.Map() {
		for method, op := range item.Operations() {
			if op.Extensions["x-served-by"] != "edge" {
				out[method+" "+path] = true
			}
		}
	}
	return out
}

// TestOpenAPI_Routes: the router and the spec list the same operations.
func TestOpenAPI_Routes(t *testing.T) {
	e := mustEnv(t)
	doc := openAPIRoutes(t)
	if len(doc) < 10 {
		t.Fatalf("only %d operations read from openapi.yaml", len(doc))
	}
	registered := map[string]bool{}
	for _, r := range e.srv.Routes() {
		registered[r[0]+" "+httprouterArg.ReplaceAllString(r[1], "{$1}")] = true
	}
	var missing, extra []string
	for op := range registered {
		if !doc[op] {
			missing = append(missing, op)
		}
	}
	for op := range doc {
		if !registered[op] {
			extra = append(extra, op)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 {
		t.Errorf("registered but not in docs/openapi.yaml: %v", missing)
	}
	if len(extra) > 0 {
		t.Errorf("in docs/openapi.yaml but not registered: %v", extra)
	}
}
