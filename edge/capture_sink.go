package edge

import (
	"context"

	"warren/events"
)

// CaptureSink is where the edge's captured exchanges go. In one process
// (serve --role all) it is the event log itself; on an edge node without
// a log it hands captures to the control plane (a JetStream capture
// sender behind an adapter, in the composition root).
//
// Append records drafts in order and returns one event per draft, whose ID
// the agent is told as the request's id (req_<ID>); it returns only once
// the captures are safe by the sink's own measure (the log: fsynced; a
// sender: on its local spool). An error means these captures are lost:
// the edge counts them (CaptureStats.Failed) and logs it.
type CaptureSink interface {
	Append(ctx context.Context, drafts ...events.Draft) ([]events.Event, error)
}

// captureSink is cfg.Captures, or the log when none is set.
func (c *Config) captureSink() CaptureSink {
	if c.Captures != nil {
		return c.Captures
	}
	return c.Log
}
