package events

// ReservationV2 is the payload of reservation.created and
// reservation.released since TCP ports can be reserved: a subdomain or a
// port, exactly one of them. A subdomain's encodes byte for byte as v1.
type ReservationV2 struct {
	Subdomain string `json:"subdomain,omitempty"`
	Port      int    `json:"port,omitempty"`
}

func (ReservationV2) payloadVersion() int { return 2 }

// upgrade reads a v1 payload (always a subdomain) as v2.
func (p *ReservationV1) upgrade() *ReservationV2 { return &ReservationV2{Subdomain: p.Subdomain} }
