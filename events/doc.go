// Package events is Warren's append-only event log: the envelope and catalogue,
// their encoding, the bbolt log (group commit, hash chain, bodies) and the
// publishing of committed events to watermill topics.
package events
