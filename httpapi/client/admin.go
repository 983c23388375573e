package client

import (
	"context"
	"net/http"
)

// NewAccount is what POST /api/v1/admin/accounts takes (operator keys only).
type NewAccount struct {
	Email    string `json:"email"`
	Name     string `json:"name,omitempty"`
	Plan     string `json:"plan,omitempty"`
	Operator bool   `json:"operator,omitempty"`
}

// CreatedAccount is its answer: the account and, this once, the secret of
// its first API key.
type CreatedAccount struct {
	Account
	Operator bool   `json:"operator"`
	Key      string `json:"key"`
}

// CreateAccount creates an account on a running server.
func (c *Client) CreateAccount(ctx context.Context, in NewAccount) (CreatedAccount, error) {
	var a CreatedAccount
	return a, c.do(ctx, http.MethodPost, "/api/v1/admin/accounts", in, &a)
}
