// Package events is Warren's append-only event log: the envelope and catalogue,
// their encoding, the bbolt log (group commit, hash chain, bodies), the checks
// that refuse a damaged file, and the outbox relay that publishes committed
// events to watermill topics from the log, by position.
package events
