package httpapi

import (
	"context"
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

// TestOpenAPI_Valid: the spec loads and validates, and every operation has
// an operationId, so generated clients get stable, meaningful names.
func TestOpenAPI_Valid(t *testing.T) {
	doc := mustSpec(t)
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
}
