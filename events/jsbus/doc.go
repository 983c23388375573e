// Package jsbus carries Warren's events over NATS JetStream, for
// scale-out: an embedded nats-server (server.go), watermill publishers and
// subscribers over JetStream built with watermill-nats (bus.go), the
// edge's capture transport with its disk spool (sender.go, spool.go) and
// the control plane's consumer that appends captures once (consumer.go).
//
// It is named jsbus, not jetstream, so the files that use nats.go's
// jetstream package can import both without renaming either.
package jsbus
