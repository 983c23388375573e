package httpapi

import (
	"bufio"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
)

var (
	openAPIPath   = regexp.MustCompile(`^  (/[^:\s]*):\s*$`)
	openAPIMethod = regexp.MustCompile(`^    (get|put|post|patch|delete|head|options):`)
	httprouterArg = regexp.MustCompile(`:(\w+)`)
)

// openAPIRoutes reads "METHOD /path" pairs from the paths block of
// docs/openapi.yaml by indentation, leaving out operations marked
// "x-served-by: edge" (the edge answers them before the API handler).
func openAPIRoutes(t *testing.T, file string) map[string]bool {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]bool{}
	inPaths := false
	path, op := "", ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if len(line) > 0 && line[0] != ' ' && line[0] != '#' {
			inPaths = strings.HasPrefix(line, "paths:")
			continue
		}
		if !inPaths {
			continue
		}
		if m := openAPIPath.FindStringSubmatch(line); m != nil {
			path, op = m[1], ""
			continue
		}
		if m := openAPIMethod.FindStringSubmatch(line); m != nil && path != "" {
			op = strings.ToUpper(m[1]) + " " + path
			out[op] = true
			continue
		}
		if strings.TrimSpace(line) == "x-served-by: edge" && op != "" {
			delete(out, op)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestOpenAPI_Routes(t *testing.T) {
	e := mustEnv(t)
	doc := openAPIRoutes(t, "../docs/openapi.yaml")
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
