// Package apiclient is a Go client for Warren's API generated from its
// contract, docs/openapi.yaml, by oapi-codegen (client and models): one
// method per operationId (ListRequests, GetRequest, ReplayRequest…), with
// typed parameters and, on ClientWithResponses, typed answers. It is
// generated code: change the spec, then regenerate with `go generate
// ./httpapi/apiclient`; a test fails while client.gen.go differs from what
// the spec generates. The hand-written client the CLI uses is
// warren/httpapi/client.
package apiclient

//go:generate env WARREN_UPDATE_APICLIENT=1 go test -count=1 -run TestGenerated_UpToDate .
