// Package certs obtains and renews the public listener's certificates
// through ACME with certmagic: the base domain and the API host at start,
// a wildcard over DNS-01 when a DNS provider is configured, and everything
// else on demand at the first handshake, behind a decision read from the
// projections (see Decider). It also holds the DNS providers DNS-01 needs
// (RFC 2136 dynamic updates, an operator's script).
package certs
