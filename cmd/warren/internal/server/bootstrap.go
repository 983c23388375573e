package server

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"

	"warren/httpapi/dashboard"

	"warren/domain"
	"warren/projections"
)

// firstStart is what a first start prints once: the operator's first API
// key and a one-time link to choose the dashboard password.
type firstStart struct {
	Secret string
	Acc    domain.Account
	Link   string // set-password link token ("" if it could not be made)
	// LinkErr says why there is no link. It does not stop the start: the
	// key must be shown now, as a later start will not make another.
	LinkErr error
}

// bootstrap creates the operator account (plan pro) when the log is empty,
// returning its first key's secret, shown once, and a set-password link
// token, so a new user can sign in to the dashboard without another
// command. A log with any event is not a first start, so a restart never
// makes a second operator.
func (m *Main) bootstrap(ctx context.Context) (first firstStart, err error) {
	secret, acc, err := m.createOperator(ctx)
	if err != nil || secret == "" {
		return firstStart{}, err
	}
	first = firstStart{Secret: secret, Acc: acc}
	token, err := dashboard.NewToken(rand.Reader)
	if err == nil {
		_, err = m.Log.Execute(ctx, projections.CreatePasswordLink(acc.ID, dashboard.TokenHash(token), firstLinkTTL))
	}
	if err != nil {
		first.LinkErr = err
		return first, nil
	}
	first.Link = token
	return first, nil
}

// firstLinkTTL is how long the first start's set-password link works.
const firstLinkTTL = 24 * time.Hour

func (m *Main) createOperator(ctx context.Context) (secret string, acc domain.Account, err error) {
	head, err := m.Log.Head()
	if err != nil || head.Count > 0 {
		return "", acc, err
	}
	email := m.cfg.OperatorEmail
	if email == "" {
		email = "operator@" + m.cfg.Domain
	}
	secret, acc, err = CreateAccount(ctx, m.Log, projections.NewAccount{
		Email: email, Name: "Operator", Plan: domain.PlanPro, Operator: true,
		KeyDescription: "first operator key",
	})
	if err != nil {
		return "", acc, fmt.Errorf("creating the operator account: %w", err)
	}
	return secret, acc, nil
}

// announce prints where the server is and, on a first start, the key and
// the dashboard's set-password link.
func (m *Main) announce(first firstStart) {
	w := m.cfg.Stdout
	fmt.Fprintf(w, "listening on %s\n", m.Addr())
	fmt.Fprintf(w, "Warren is running at %s\n", m.URL())
	if first.Secret == "" {
		return
	}
	acc := first.Acc
	fmt.Fprintf(w, "\nCreated the operator account %s (%s, plan %s).\n", acc.Email, acc.ID, acc.Plan)
	fmt.Fprintf(w, "Its API key is shown once; keep it:\n\n    %s\n\n", first.Secret)
	fmt.Fprintf(w, "Try it:\n\n    curl -H \"Authorization: Bearer %s\" %s/api/v1/me/plan\n\n", first.Secret, m.URL())
	if first.LinkErr != nil {
		fmt.Fprintf(w, "Dashboard: no set-password link (%v); set a password with\n\n    warren admin account password --email %s --server %s\n\n",
			first.LinkErr, acc.Email, m.URL())
	}
	if first.Link != "" {
		fmt.Fprintf(w, "Dashboard: choose the operator's password with this one-time link (valid %s), then sign in at %s\n\n    %s\n\n",
			firstLinkTTL, m.URL(), dashboard.SetPasswordURL(m.URL(), first.Link))
	}
}
