package apiclient

import (
	"os"
	"testing"

	"github.com/oapi-codegen/oapi-codegen/v2/pkg/codegen"
	"github.com/oapi-codegen/oapi-codegen/v2/pkg/util"
	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine outlives them.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const (
	specFile = "../../docs/openapi.yaml"
	genFile  = "client.gen.go"
)

// generate runs oapi-codegen as a library with this package's settings:
// the client and the models, nothing else.
func generate(t *testing.T) string {
	t.Helper()
	cfg := codegen.Configuration{PackageName: "apiclient",
		Generate: codegen.GenerateOptions{Client: true, Models: true}}.UpdateDefaults()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	spec, err := util.LoadSwagger(specFile)
	if err != nil {
		t.Fatalf("oapi-codegen cannot load %s: %v", specFile, err)
	}
	code, err := codegen.Generate(spec, cfg)
	if err != nil {
		t.Fatalf("oapi-codegen cannot generate from %s: %v", specFile, err)
	}
	return code
}

// TestGenerated_UpToDate: client.gen.go is what the spec generates, so the
// checked-in client never drifts from the contract. With
// WARREN_UPDATE_APICLIENT=1 (go generate) it rewrites the file instead.
func TestGenerated_UpToDate(t *testing.T) {
	code := generate(t)
	if os.Getenv("WARREN_UPDATE_APICLIENT") == "1" {
		if err := os.WriteFile(genFile, []byte(code), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	have, err := os.ReadFile(genFile)
	if err != nil {
		t.Fatal(err)
	}
	if string(have) != code {
		t.Fatalf("%s is stale: docs/openapi.yaml changed; run `go generate ./httpapi/apiclient` and commit the result", genFile)
	}
}
