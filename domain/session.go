package domain

import "time"

// Session is a dashboard sign-in. Its cookie holds a 256-bit random value
// that is never stored; the server keeps its SHA-256 (IDHash) and names
// the session by ID in lists.
type Session struct {
	ID        string        `json:"id"` // web_<ULID>
	AccountID string        `json:"accountId"`
	IDHash    string        `json:"idHash"`
	IP        string        `json:"ip"`
	UserAgent string        `json:"userAgent"`
	CreatedAt time.Time     `json:"createdAt"`
	IdleFor   time.Duration `json:"idleFor"`   // idle expiry, from the last use
	ExpiresAt time.Time     `json:"expiresAt"` // absolute expiry
}

// Live reports whether the session may still be used at now, last used at
// lastSeen: before its absolute expiry and within IdleFor of lastSeen.
func (s Session) Live(now, lastSeen time.Time) bool {
	return now.Before(s.ExpiresAt) && now.Before(lastSeen.Add(s.IdleFor))
}
