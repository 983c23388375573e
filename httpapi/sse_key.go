package httpapi

import (
	"github.com/ThreeDotsLabs/watermill/message"
	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/events"
	"warren/projections"
)

// keyWatch ties a stream to the key that opened it. Authentication happens
// once, when the stream starts, so without it a stream would outlive its
// key's revocation. It listens on the control topic for key.revoked of the
// key's account and, on each, reads the key afresh: the projection, not the
// message, says whether it is revoked.
//
// A stream opened with the session cookie is tied to its session the same
// way: it ends on a session.revoked of the account that ends that session.
type keyWatch struct {
	s        *Server
	keyID    string
	sessHash string          // set instead of keyID for a cookie-opened stream
	wake     <-chan struct{} // a key.revoked of the account was published
	ended    <-chan struct{} // the control subscription ended or overflowed
	stop     func()
}

// watchKey starts watching c's key: subscribed first, then checked once,
// so a revocation between authentication and now is not missed either.
// It fails with CodeUnauthorized when the key is already revoked.
func (s *Server) watchKey(c *call) (*keyWatch, error) {
	kw := &keyWatch{s: s, keyID: c.Key.ID, stop: func() {}}
	watchType := events.KeyRevoked
	if c.Session != nil {
		kw.sessHash, watchType = c.Session.IDHash, events.SessionRevoked
	}
	if kw.keyID == "" && kw.sessHash == "" {
		// Not opened with a key (none of today's streams): nothing to end it.
		kw.wake, kw.ended = make(chan struct{}), make(chan struct{})
		return kw, nil
	}
	acc := c.Account.ID
	l, leave, err := s.hubFor(events.TopicControl).join(func(m *message.Message) bool {
		return m.Metadata.Get(events.MetaType) == string(watchType) && m.Metadata.Get(events.MetaAccount) == acc
	}, 4)
	if err != nil {
		return nil, domain.Errorf(domain.CodeUnavailable, "subscribing to %s: %v", events.TopicControl, err)
	}
	kw.wake, kw.ended, kw.stop = l.wake, l.overflow, leave
	if kw.revoked() {
		leave()
		return nil, domain.BadKeyError()
	}
	return kw, nil
}

// revoked reads whether the key is revoked now. A read error counts as
// revoked: a stream that cannot check its key ends, and the client's
// reconnect authenticates again.
func (kw *keyWatch) revoked() bool {
	if kw.sessHash != "" {
		_, err := projections.View(kw.s.db, func(tx *bolt.Tx) (domain.Session, error) { return projections.SessionByHash(tx, kw.sessHash) })
		return err != nil
	}
	k, err := projections.View(kw.s.db, func(tx *bolt.Tx) (domain.APIKey, error) { return projections.Key(tx, kw.keyID) })
	return err != nil || k.Revoked()
}
