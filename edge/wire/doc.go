// Package wire is the agent protocol shared by the edge and edge/agent: the
// upgrade, the control stream's JSON messages and the per-stream header.
package wire
