package httpapi

import (
	"net/http"
	"time"

	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/projections"
)

// accountJSON is an account as the operator API shows it.
type accountJSON struct {
	ID        string    `json:"id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	Plan      string    `json:"plan"`
	Operator  bool      `json:"operator"`
	CreatedAt time.Time `json:"createdAt"`
}

func toAccountJSON(a domain.Account) accountJSON {
	return accountJSON{ID: a.ID, Email: a.Email, Name: a.Name, Plan: a.Plan, Operator: a.Operator, CreatedAt: a.CreatedAt.UTC()}
}

// newAccountJSON is POST /api/v1/admin/accounts' answer: the account and,
// this once, its first key's secret.
type newAccountJSON struct {
	accountJSON
	Key string `json:"key"`
}

func (s *Server) routesAdmin() []route {
	return []route{
		{Method: http.MethodGet, Path: "/api/v1/admin/accounts", Access: accessOperator, Handle: s.listAccounts},
		{Method: http.MethodPost, Path: "/api/v1/admin/accounts", Access: accessOperator, Handle: s.createAccount},
		{Method: http.MethodPatch, Path: "/api/v1/admin/accounts/:id", Access: accessOperator, Handle: s.patchAccount},
	}
}

func (s *Server) listAccounts(w http.ResponseWriter, r *http.Request, c *call) error {
	p, err := parsePage(r)
	if err != nil {
		return err
	}
	if p.Before != "" {
		if _, err := projections.ParseID("before_id", "acc_", p.Before); err != nil {
			return err
		}
	}
	var as []domain.Account
	if err := s.view(func(tx *bolt.Tx) error {
		as, err = projections.Accounts(tx, p.Before, p.fetch())
		return err
	}); err != nil {
		return asCursorError(err, p.Before)
	}
	as, more := cutPage(as, p)
	out := make([]accountJSON, 0, len(as))
	last := ""
	for _, a := range as {
		out = append(out, toAccountJSON(a))
		last = a.ID
	}
	return writeJSON(w, http.StatusOK, map[string]any{"accounts": out, "next_page_uri": s.nextPageURI(r, p, more, last)})
}

// createAccount is POST /api/v1/admin/accounts {"email","name","plan","operator"}:
// 201 with the account and its first key's secret (shown once).
func (s *Server) createAccount(w http.ResponseWriter, r *http.Request, c *call) error {
	var in struct {
		Email    string `json:"email"`
		Name     string `json:"name"`
		Plan     string `json:"plan"`
		Operator bool   `json:"operator"`
	}
	if err := decodeJSONBody(r, &in); err != nil {
		return err
	}
	secret, err := domain.NewKeySecret(s.rnd)
	if err != nil {
		return err
	}
	evs, err := s.exec(r.Context(), projections.CreateAccount(projections.NewAccount{
		Email: in.Email, Name: in.Name, Plan: in.Plan, Operator: in.Operator,
		KeyHash: domain.HashKeySecret(secret), KeyPrefix: domain.KeyShownPrefix(secret), KeyDescription: "first key"}))
	if err != nil {
		return err
	}
	a, err := s.account(projections.AccountIDFromEvents(evs))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, newAccountJSON{accountJSON: toAccountJSON(a), Key: secret})
}

// patchAccount is PATCH /api/v1/admin/accounts/{id} {"plan":"pro"}.
func (s *Server) patchAccount(w http.ResponseWriter, r *http.Request, c *call) error {
	var in struct {
		Plan *string `json:"plan"`
	}
	if err := decodeJSONBody(r, &in); err != nil {
		return err
	}
	id := c.Params.ByName("id")
	if in.Plan == nil {
		return domain.Errorf(domain.CodeInvalid, "field \"plan\" is required")
	}
	if _, err := s.exec(r.Context(), projections.ChangePlan(id, *in.Plan)); err != nil {
		return err
	}
	a, err := s.account(id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toAccountJSON(a))
}

func (s *Server) account(id string) (domain.Account, error) {
	var a domain.Account
	err := s.view(func(tx *bolt.Tx) error {
		var err error
		a, err = projections.Account(tx, id)
		return err
	})
	return a, err
}
