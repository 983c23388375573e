package httpapi

// Stats are the API's numbers as a metrics scrape sees them.
type Stats struct {
	// SSESubscribers is the event streams (requests, audit) open now.
	SSESubscribers int64
}

// Stats reads the API's numbers (atomics only).
func (s *Server) Stats() Stats {
	return Stats{SSESubscribers: s.streams.Load()}
}
