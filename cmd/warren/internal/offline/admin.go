package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"text/tabwriter"
	"time"

	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/events"
	"warren/httpapi/client"
	"warren/projections"
)

// runAdmin is `warren admin …`: administration on --data (offline), or for
// account create also over the API of a running server (--server).
func runAdmin(ctx context.Context, e *env, args []string) error {
	return subcommand(ctx, e, "admin", map[string]command{
		"account": {summary: "accounts: create, plan, list", run: runAdminAccount},
	}, args)
}

func runAdminAccount(ctx context.Context, e *env, args []string) error {
	return subcommand(ctx, e, "admin account", map[string]command{
		"create": {summary: "create an account and print its first API key", run: runAccountCreate},
		"plan":   {summary: "change an account's plan", run: runAccountPlan},
		"list":   {summary: "list accounts, newest first", run: runAccountList},
	}, args)
}

// runAccountCreate prints the new account, then its first API key alone on
// the last line of stdout, so scripts can take it with `tail -n1`.
func runAccountCreate(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "admin account create", "admin account create --email E [--name N] [--plan free|pro] [--operator] [--data DIR | --server URL [--key KEY]]")
	data := dataFlag(e, fs)
	email := fs.String("email", "", "the account's email (required)")
	name := fs.String("name", "", "display name")
	plan := fs.String("plan", domain.PlanFree, "plan: free or pro")
	operator := fs.Bool("operator", false, "may use the operator API")
	server := fs.String("server", "", "create it on a running server (POST /api/v1/admin/accounts) instead of in --data")
	key := fs.String("key", "", "operator API key for --server (default: WARREN_API_KEY or the logged-in key)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *email == "" {
		fs.Usage()
		return &exitError{code: 2, err: fmt.Errorf("--email is required")}
	}
	if *server != "" {
		return createAccountOnline(ctx, e, *server, *key, client.NewAccount{Email: *email, Name: *name, Plan: *plan, Operator: *operator})
	}
	l, err := openLog(*data, openOptions{}, events.Options{})
	if err != nil {
		return err
	}
	defer l.Close()
	secret, acc, err := createAccount(ctx, l, projections.NewAccount{
		Email: *email, Name: *name, Plan: *plan, Operator: *operator, KeyDescription: "first key",
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "created account %s (%s, plan %s%s)\n", acc.ID, acc.Email, acc.Plan, operatorNote(acc.Operator))
	fmt.Fprintln(e.stdout, "its API key, shown once:")
	fmt.Fprintln(e.stdout, secret)
	return nil
}

// createAccountOnline is `admin account create --server`: the data file
// stays with the server, which must not stop for a new user.
func createAccountOnline(ctx context.Context, e *env, server, key string, in client.NewAccount) error {
	key, err := operatorKey(e, key) // audit_backup.go
	if err != nil {
		return err
	}
	c, err := client.New(server, key, &http.Client{Timeout: 30 * time.Second})
	if err != nil {
		return err
	}
	acc, err := c.CreateAccount(ctx, in)
	var ae *client.Error
	if errors.As(err, &ae) && ae.Status != http.StatusUnauthorized && ae.Code != "" {
		// As offline: the code leads (conflict for a taken email, …).
		return fmt.Errorf("%s: %s", ae.Code, ae.Message)
	}
	if err != nil {
		return apiError(err)
	}
	fmt.Fprintf(e.stdout, "created account %s (%s, plan %s%s)\n", acc.ID, acc.Email, acc.Plan, operatorNote(acc.Operator))
	fmt.Fprintln(e.stdout, "its API key, shown once:")
	fmt.Fprintln(e.stdout, acc.Key)
	return nil
}

func operatorNote(op bool) string {
	if op {
		return ", operator"
	}
	return ""
}

func runAccountPlan(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "admin account plan", "admin account plan --email E --plan free|pro")
	data := dataFlag(e, fs)
	email := fs.String("email", "", "the account's email (required)")
	plan := fs.String("plan", "", "the new plan: free or pro (required)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *email == "" || *plan == "" {
		fs.Usage()
		return &exitError{code: 2, err: fmt.Errorf("--email and --plan are required")}
	}
	norm, err := domain.NormalizeEmail(*email)
	if err != nil {
		return err
	}
	l, err := openLog(*data, openOptions{}, events.Options{})
	if err != nil {
		return err
	}
	defer l.Close()
	var acc domain.Account
	if err := l.DB().View(func(tx *bolt.Tx) error {
		acc, err = projections.AccountByEmail(tx, norm)
		return err
	}); err != nil {
		return err
	}
	evs, err := l.Execute(ctx, projections.ChangePlan(acc.ID, *plan))
	if err != nil {
		return err
	}
	if len(evs) == 0 {
		fmt.Fprintf(e.stdout, "account %s (%s) is already on plan %s\n", acc.ID, acc.Email, acc.Plan)
		return nil
	}
	fmt.Fprintf(e.stdout, "account %s (%s): plan %s -> %s\n", acc.ID, acc.Email, acc.Plan, *plan)
	return nil
}

func runAccountList(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "admin account list", "admin account list")
	data := dataFlag(e, fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	// Read-write so the projections are brought level with the log first.
	l, err := openLog(*data, openOptions{}, events.Options{})
	if err != nil {
		return err
	}
	defer l.Close()
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tEMAIL\tNAME\tPLAN\tOPERATOR\tCREATED")
	before := ""
	for {
		var page []domain.Account
		if err := l.DB().View(func(tx *bolt.Tx) error {
			page, err = projections.Accounts(tx, before, 1000)
			return err
		}); err != nil {
			return err
		}
		for _, a := range page {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%t\t%s\n", a.ID, a.Email, a.Name, a.Plan, a.Operator, a.CreatedAt.UTC().Format(time.RFC3339))
		}
		if len(page) < 1000 {
			break
		}
		before = page[len(page)-1].ID
	}
	return tw.Flush()
}
