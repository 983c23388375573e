package offline

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"text/tabwriter"
	"time"

	bolt "go.etcd.io/bbolt"

	"warren/cmd/warren/internal/cli"
	"warren/cmd/warren/internal/command"
	"warren/cmd/warren/internal/server"
	"warren/domain"
	"warren/events"
	"warren/httpapi/client"
	"warren/projections"
)

// RunAccountCreate prints the new account, then its first API key alone on
// the last line of stdout, so scripts can take it with `tail -n1`.
func RunAccountCreate(ctx context.Context, e *command.Env, args []string) error {
	fs := command.NewFlagSet(e, "admin account create", "admin account create --email E [--name N] [--plan free|pro] [--operator] [--data DIR [--init] | --server URL [--key KEY]]")
	data := command.DataFlag(e, fs)
	email := fs.String("email", "", "the account's email (required)")
	name := fs.String("name", "", "display name")
	plan := fs.String("plan", domain.PlanFree, "plan: free or pro")
	operator := fs.Bool("operator", false, "may use the operator API")
	serverURL := fs.String("server", "", "create it on a running server (POST /api/v1/admin/accounts) instead of in --data")
	key := fs.String("key", "", "operator API key for --server (default: WARREN_API_KEY or the logged-in key)")
	initData := fs.Bool("init", false, "create the data directory and its log when there is none (a first account before the first serve)")
	if err := command.ParseFlags(fs, args); err != nil {
		return err
	}
	if *email == "" {
		fs.Usage()
		return &command.ExitError{Code: 2, Err: fmt.Errorf("--email is required")}
	}
	if *serverURL != "" {
		return createAccountOnline(ctx, e, *serverURL, *key, client.NewAccount{Email: *email, Name: *name, Plan: *plan, Operator: *operator})
	}
	if !*initData {
		if err := requireLog(*data, true); err != nil { // nolog.go
			return err
		}
	}
	l, err := server.OpenLog(*data, server.OpenOptions{}, events.Options{})
	if err != nil {
		return err
	}
	defer l.Close()
	secret, acc, err := server.CreateAccount(ctx, l, projections.NewAccount{
		Email: *email, Name: *name, Plan: *plan, Operator: *operator, KeyDescription: "first key",
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.Stdout, "created account %s (%s, plan %s%s)\n", acc.ID, acc.Email, acc.Plan, operatorNote(acc.Operator))
	fmt.Fprintln(e.Stdout, "its API key, shown once:")
	fmt.Fprintln(e.Stdout, secret)
	return nil
}

// createAccountOnline is `admin account create --server`: the data file
// stays with the server, which must not stop for a new user.
func createAccountOnline(ctx context.Context, e *command.Env, serverURL, key string, in client.NewAccount) error {
	key, err := operatorKey(e, key) // backup_online.go
	if err != nil {
		return err
	}
	c, err := cli.ClientWithKey(e, serverURL, key) // the CLI's TLS rules: --ca, no key in clear
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
		return cli.APIError(err)
	}
	fmt.Fprintf(e.Stdout, "created account %s (%s, plan %s%s)\n", acc.ID, acc.Email, acc.Plan, operatorNote(acc.Operator))
	fmt.Fprintln(e.Stdout, "its API key, shown once:")
	fmt.Fprintln(e.Stdout, acc.Key)
	return nil
}

func operatorNote(op bool) string {
	if op {
		return ", operator"
	}
	return ""
}

// RunAccountPlan is `warren admin account plan --email E --plan P`, offline.
func RunAccountPlan(ctx context.Context, e *command.Env, args []string) error {
	fs := command.NewFlagSet(e, "admin account plan", "admin account plan --email E --plan free|pro")
	data := command.DataFlag(e, fs)
	email := fs.String("email", "", "the account's email (required)")
	plan := fs.String("plan", "", "the new plan: free or pro (required)")
	if err := command.ParseFlags(fs, args); err != nil {
		return err
	}
	if *email == "" || *plan == "" {
		fs.Usage()
		return &command.ExitError{Code: 2, Err: fmt.Errorf("--email and --plan are required")}
	}
	norm, err := domain.NormalizeEmail(*email)
	if err != nil {
		return err
	}
	if err := requireLog(*data, false); err != nil {
		return err
	}
	l, err := server.OpenLog(*data, server.OpenOptions{}, events.Options{})
	if err != nil {
		return err
	}
	defer l.Close()
	acc, err := projections.View(l.DB(), func(tx *bolt.Tx) (domain.Account, error) {
		return projections.AccountByEmail(tx, norm)
	})
	if err != nil {
		return err
	}
	evs, err := l.Execute(ctx, projections.ChangePlan(acc.ID, *plan))
	if err != nil {
		return err
	}
	if len(evs) == 0 {
		fmt.Fprintf(e.Stdout, "account %s (%s) is already on plan %s\n", acc.ID, acc.Email, acc.Plan)
		return nil
	}
	fmt.Fprintf(e.Stdout, "account %s (%s): plan %s -> %s\n", acc.ID, acc.Email, acc.Plan, *plan)
	return nil
}

// RunAccountList is `warren admin account list`, offline: accounts newest first.
func RunAccountList(ctx context.Context, e *command.Env, args []string) error {
	fs := command.NewFlagSet(e, "admin account list", "admin account list")
	data := command.DataFlag(e, fs)
	if err := command.ParseFlags(fs, args); err != nil {
		return err
	}
	if err := requireLog(*data, false); err != nil {
		return err
	}
	// Read-write so the projections are brought level with the log first.
	l, err := server.OpenLog(*data, server.OpenOptions{}, events.Options{})
	if err != nil {
		return err
	}
	defer l.Close()
	tw := tabwriter.NewWriter(e.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tEMAIL\tNAME\tPLAN\tOPERATOR\tCREATED")
	before := ""
	for {
		page, err := projections.View(l.DB(), func(tx *bolt.Tx) ([]domain.Account, error) {
			return projections.Accounts(tx, before, 1000)
		})
		if err != nil {
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
