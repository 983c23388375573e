package httpapi

import (
	"context"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// specFile is the contract every route is checked against.
const specFile = "../docs/openapi.yaml"

// mustSpec loads docs/openapi.yaml with kin-openapi and validates it as an
// OpenAPI document (examples included), as a generator or linter would.
func mustSpec(tb testing.TB) *openapi3.T {
	tb.Helper()
	doc, err := openapi3.NewLoader().LoadFromFile(specFile)
	if err != nil {
		tb.Fatalf("loading %s: %v", specFile, err)
	}
	if err := doc.Validate(context.Background(), openapi3.EnableExamplesValidation()); err != nil {
		tb.Fatalf("%s is not valid OpenAPI: %v", specFile, err)
	}
	return doc
}

// nullable30 is OpenAPI 3.0's way to allow null, which 3.1 (JSON Schema
// 2020-12) ignores: there a null needs type: [T, 'null'].
var nullable30 = regexp.MustCompile(`\bnullable:\s*true\b`)

// TestOpenAPI_Valid: the spec is OpenAPI 3.1 that loads and validates,
// every operation has an operationId (generated clients get stable,
// meaningful names), and no schema uses 3.0's nullable, which validators
// and generators of 3.1 ignore.
func TestOpenAPI_Valid(t *testing.T) {
	doc := mustSpec(t)
	if !doc.IsOpenAPI31OrLater() {
		t.Fatalf("%s is OpenAPI %s, want 3.1", specFile, doc.OpenAPI)
	}
	n := 0
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			n++
			if op.OperationID == "" {
				t.Errorf("%s %s has no operationId", method, path)
			}
		}
	}
	if n < 40 {
		t.Fatalf("only %d operations in %s", n, specFile)
	}
	text, err := os.ReadFile(specFile)
	if err != nil {
		t.Fatal(err)
	}
	for i, line := range strings.Split(string(text), "\n") {
		if nullable30.MatchString(line) {
			t.Errorf("%s:%d: nullable is OpenAPI 3.0; in 3.1 write type: [T, 'null']: %s", specFile, i+1, strings.TrimSpace(line))
		}
	}
}
