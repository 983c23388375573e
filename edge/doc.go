// Package edge is Warren's data plane: agent sessions over yamux, public HTTP
// and TCP ingress routed by Host, request capture, quota checks and replay.
package edge
