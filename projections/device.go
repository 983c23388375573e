package projections

import (
	"warren/domain"
	"warren/events"
)

// CreateDeviceKey adds a key minted by a device login (RFC 8628: `warren
// login` approved in the browser) to an account: a key.created marked
// via "device" with the approving session's id. Pending device codes are
// not a projection: they are bearer secrets of ten minutes, kept in the
// API's memory, and only this outcome enters the log. CodeNotFound for
// no account, CodeInvalid for a bad description.
func CreateDeviceKey(accountID, sessionID, hash, prefix, description string) events.Command {
	return func(tx *events.Tx) ([]events.Draft, error) {
		if _, err := Account(tx.Tx, accountID); err != nil {
			return nil, err
		}
		if err := domain.ValidateName("description", description); err != nil {
			return nil, err
		}
		return []events.Draft{{Type: events.KeyCreated, Account: accountID, Data: events.KeyCreatedData{
			KeyID: "key_" + tx.NewID().String(), Prefix: prefix, Hash: hash, Description: description,
			Via: events.KeyViaDevice, SessionID: sessionID}}}, nil
	}
}
