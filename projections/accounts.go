package projections

import (
	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/events"
)

func applyAccountCreated(tx *bolt.Tx, ev *events.Event, d *events.AccountCreatedData) error {
	a := domain.Account{ID: ev.Account, Email: d.Email, Name: d.Name, Plan: d.Plan, Operator: d.Operator, CreatedAt: ev.At}
	if err := putJSON(tx.Bucket(bAccounts), []byte(a.ID), a); err != nil {
		return err
	}
	return tx.Bucket(bAccountsByEmail).Put([]byte(a.Email), []byte(a.ID))
}

func applyPlanChanged(tx *bolt.Tx, ev *events.Event, d *events.AccountPlanChangedData) error {
	a, err := Account(tx, ev.Account)
	if err != nil {
		return err
	}
	a.Plan = d.Plan
	return putJSON(tx.Bucket(bAccounts), []byte(a.ID), a)
}

// Account returns an account by id (CodeNotFound).
func Account(tx *bolt.Tx, id string) (domain.Account, error) {
	var a domain.Account
	ok, err := getJSON(tx.Bucket(bAccounts), []byte(id), &a)
	if err == nil && !ok {
		err = notFound("account", id)
	}
	return a, err
}

// AccountByEmail returns an account by its normalized email (CodeNotFound).
func AccountByEmail(tx *bolt.Tx, email string) (domain.Account, error) {
	id := tx.Bucket(bAccountsByEmail).Get([]byte(email))
	if id == nil {
		return domain.Account{}, notFound("account", email)
	}
	return Account(tx, string(id))
}

// AccountPlan returns an account's plan (CodeNotFound for no account).
func AccountPlan(tx *bolt.Tx, id string) (domain.Account, domain.Plan, error) {
	a, err := Account(tx, id)
	if err != nil {
		return a, domain.Plan{}, err
	}
	p, err := domain.PlanByName(a.Plan)
	return a, p, err
}

// Accounts lists accounts newest first, before the account id before ("": from the newest).
func Accounts(tx *bolt.Tx, before string, limit int) ([]domain.Account, error) {
	c := tx.Bucket(bAccounts).Cursor()
	var k, v []byte
	if before == "" {
		k, v = c.Last()
	} else {
		k, v = c.Seek([]byte(before))
		if k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
	}
	var out []domain.Account
	for ; k != nil && len(out) < limit; k, v = c.Prev() {
		var a domain.Account
		if err := jsonUnmarshal(v, &a); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// NewAccount is the input of CreateAccount. The first key's secret is made by
// the caller; only its hash and shown prefix arrive here.
type NewAccount struct {
	Email          string
	Name           string
	Plan           string
	Operator       bool
	KeyHash        string
	KeyPrefix      string
	KeyDescription string
}

// CreateAccount creates an account with its first API key. It fails with
// CodeInvalid for a bad email, name or plan and CodeConflict for a taken email.
func CreateAccount(in NewAccount) events.Command {
	return func(tx *events.Tx) ([]events.Draft, error) {
		email, err := domain.NormalizeEmail(in.Email)
		if err != nil {
			return nil, err
		}
		if err := domain.ValidateName("name", in.Name); err != nil {
			return nil, err
		}
		if in.Plan == "" {
			in.Plan = domain.PlanFree
		}
		if _, err := domain.PlanByName(in.Plan); err != nil {
			return nil, err
		}
		if tx.Bucket(bAccountsByEmail).Get([]byte(email)) != nil {
			return nil, domain.Errorf(domain.CodeConflict, "an account with email %q exists", email)
		}
		if in.KeyHash == "" {
			return nil, domain.Errorf(domain.CodeInvalid, "a new account needs its first key")
		}
		acc := "acc_" + tx.NewID().String()
		return []events.Draft{
			{Type: events.AccountCreated, Account: acc, Data: events.AccountCreatedData{
				Email: email, Name: in.Name, Plan: in.Plan, Operator: in.Operator}},
			{Type: events.KeyCreated, Account: acc, Data: events.KeyCreatedData{
				KeyID: "key_" + tx.NewID().String(), Prefix: in.KeyPrefix, Hash: in.KeyHash, Description: in.KeyDescription}},
		}, nil
	}
}

// ChangePlan moves an account to another plan (CodeNotFound, CodeInvalid).
// Changing to the current plan appends nothing.
func ChangePlan(accountID, plan string) events.Command {
	return func(tx *events.Tx) ([]events.Draft, error) {
		a, err := Account(tx.Tx, accountID)
		if err != nil {
			return nil, err
		}
		if _, err := domain.PlanByName(plan); err != nil {
			return nil, err
		}
		if a.Plan == plan {
			return nil, nil
		}
		return []events.Draft{{Type: events.AccountPlanChanged, Account: accountID,
			Data: events.AccountPlanChangedData{Plan: plan, From: a.Plan}}}, nil
	}
}

// AccountIDFromEvents returns the account id from CreateAccount's events.
func AccountIDFromEvents(evs []events.Event) string {
	for _, ev := range evs {
		if ev.Type == events.AccountCreated {
			return ev.Account
		}
	}
	return ""
}
