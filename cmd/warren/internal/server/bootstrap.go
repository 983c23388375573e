package server

import (
	"context"
	"fmt"

	"warren/domain"
	"warren/projections"
)

// bootstrap creates the operator account (plan pro) when the log is empty,
// returning its first key's secret, shown once. A log with any event is not
// a first start, so a restart never makes a second operator.
func (m *Main) bootstrap(ctx context.Context) (secret string, acc domain.Account, err error) {
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

// announce prints where the server is and, on a first start, the key.
func (m *Main) announce(secret string, acc domain.Account) {
	w := m.cfg.Stdout
	fmt.Fprintf(w, "listening on %s\n", m.Addr())
	fmt.Fprintf(w, "Warren is running at %s\n", m.URL())
	if secret == "" {
		return
	}
	fmt.Fprintf(w, "\nCreated the operator account %s (%s, plan %s).\n", acc.Email, acc.ID, acc.Plan)
	fmt.Fprintf(w, "Its API key is shown once; keep it:\n\n    %s\n\n", secret)
	fmt.Fprintf(w, "Try it:\n\n    curl -H \"Authorization: Bearer %s\" %s/api/v1/me/plan\n\n", secret, m.URL())
}
