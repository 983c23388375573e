package client

import (
	"context"
	"net/http"
	"net/url"
	"time"
)

// SetAccountPassword sets an account's dashboard password (operator keys
// only). account is its acc_ id or its email.
func (c *Client) SetAccountPassword(ctx context.Context, account, password string) error {
	return c.do(ctx, http.MethodPut, "/api/v1/admin/accounts/"+url.PathEscape(account)+"/password",
		map[string]string{"password": password}, nil)
}

// PasswordLink is a one-time set-password link.
type PasswordLink struct {
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// CreatePasswordLink mints a one-time set-password link for an account
// (operator keys only). account is its acc_ id or its email.
func (c *Client) CreatePasswordLink(ctx context.Context, account string) (PasswordLink, error) {
	var l PasswordLink
	return l, c.do(ctx, http.MethodPost, "/api/v1/admin/accounts/"+url.PathEscape(account)+"/password-link", nil, &l)
}
