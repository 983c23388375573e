// Package domain holds Warren's types and rules: accounts, plans, API keys,
// reservations, custom domains, tunnels, captured requests and the error codes.
//
// It is pure: no I/O, no storage, no HTTP. Other packages decide with its rules
// and persist what it decides as events.
package domain
