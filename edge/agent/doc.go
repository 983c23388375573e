// Package agent is the client side of Warren tunnels: it dials the edge,
// opens tunnels, forwards their streams to local services and reconnects.
package agent
