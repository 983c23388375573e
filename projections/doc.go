// Package projections builds Warren's read models from events: accounts, keys,
// reservations, domains, tunnels, usage rollups and the request index.
//
// Apply runs inside the log's write transaction; Rebuild replays the log
// through the same Apply, so live and rebuilt buckets are equal byte for byte.
package projections
