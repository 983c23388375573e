package offline

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/term"

	"warren/cmd/warren/internal/cli"
	"warren/cmd/warren/internal/command"
	"warren/cmd/warren/internal/server"
	"warren/domain"
	"warren/events"
	"warren/httpapi/client"
	"warren/httpapi/dashboard"
	"warren/projections"
)

// RunAccountPassword is `warren admin account password --email E`: sets
// the account's dashboard password, read from stdin (its first line), or
// typed twice at a no-echo prompt when stdin is a terminal. Offline in
// --data, or on a running server with --server (the operator API). With
// --link it sets nothing and prints a one-time set-password link instead
// (24 h; offline it needs --url, the dashboard's base URL).
func RunAccountPassword(ctx context.Context, e *command.Env, args []string) error {
	fs := command.NewFlagSet(e, "admin account password", "admin account password --email E [--link [--url BASE]] [--data DIR | --server URL [--key KEY]]")
	data := command.DataFlag(e, fs)
	email := fs.String("email", "", "the account's email (required)")
	link := fs.Bool("link", false, "print a one-time set-password link (valid 24 h) instead of setting a password")
	base := fs.String("url", "", "with --link offline: the dashboard's base URL, e.g. https://warren.example.com")
	serverURL := fs.String("server", "", "on a running server (the operator API) instead of in --data")
	key := fs.String("key", "", "operator API key for --server (default: WARREN_API_KEY or the logged-in key)")
	if err := command.ParseFlags(fs, args); err != nil {
		return err
	}
	if *email == "" || *link && *serverURL == "" && *base == "" {
		fs.Usage()
		return &command.ExitError{Code: 2, Err: fmt.Errorf("--email is required, and --link offline needs --url")}
	}
	norm, err := domain.NormalizeEmail(*email)
	if err != nil {
		return err
	}
	var pw string
	if !*link {
		if pw, err = readPassword(e); err != nil {
			return err
		}
		if err := domain.ValidatePassword(pw); err != nil {
			return err
		}
	}
	if *serverURL != "" {
		return accountPasswordOnline(ctx, e, *serverURL, *key, norm, pw, *link)
	}
	if err := requireLog(*data, true); err != nil { // nolog.go
		return err
	}
	l, err := server.OpenLog(*data, server.OpenOptions{}, events.Options{})
	if err != nil {
		return err
	}
	defer l.Close()
	acc, err := projections.View(l.DB(), func(tx *bolt.Tx) (domain.Account, error) { return projections.AccountByEmail(tx, norm) })
	if err != nil {
		return err
	}
	if *link {
		return printLinkOffline(ctx, e, l, acc, *base)
	}
	phc, err := dashboard.HashPassword(rand.Reader, pw, dashboard.RFC9106Second)
	if err != nil {
		return err
	}
	if _, err := l.Execute(ctx, projections.SetPassword(acc.ID, phc)); err != nil {
		return err
	}
	fmt.Fprintf(e.Stdout, "password set for account %s (%s); its sessions are signed out\n", acc.ID, acc.Email)
	return nil
}

func printLinkOffline(ctx context.Context, e *command.Env, l *events.Log, acc domain.Account, base string) error {
	token, err := dashboard.NewToken(rand.Reader)
	if err != nil {
		return err
	}
	evs, err := l.Execute(ctx, projections.CreatePasswordLink(acc.ID, dashboard.TokenHash(token), 24*time.Hour))
	if err != nil {
		return err
	}
	d, _ := projections.PasswordLinkFromEvents(evs)
	printLink(e, acc.Email, dashboard.SetPasswordURL(base, token), d.ExpiresAt)
	return nil
}

func printLink(e *command.Env, email, url string, expires time.Time) {
	fmt.Fprintf(e.Stdout, "one-time set-password link for %s, valid until %s:\n", email, expires.UTC().Format(time.RFC3339))
	fmt.Fprintln(e.Stdout, url)
}

// accountPasswordOnline is the --server form: the server hashes.
func accountPasswordOnline(ctx context.Context, e *command.Env, serverURL, key, email, pw string, link bool) error {
	key, err := operatorKey(e, key)
	if err != nil {
		return err
	}
	c, err := cli.ClientWithKey(e, serverURL, key)
	if err != nil {
		return err
	}
	if link {
		l, err := c.CreatePasswordLink(ctx, email)
		if err != nil {
			return apiCodeError(err)
		}
		printLink(e, email, l.URL, l.ExpiresAt)
		return nil
	}
	if err := c.SetAccountPassword(ctx, email, pw); err != nil {
		return apiCodeError(err)
	}
	fmt.Fprintf(e.Stdout, "password set for %s; its sessions are signed out\n", email)
	return nil
}

// apiCodeError leads with the API's code, as the offline form does.
func apiCodeError(err error) error {
	var ae *client.Error
	if errors.As(err, &ae) && ae.Status != http.StatusUnauthorized && ae.Code != "" {
		return fmt.Errorf("%s: %s", ae.Code, ae.Message)
	}
	return cli.APIError(err)
}

// readPassword reads the new password: at a terminal, typed twice without
// echo; otherwise the first line of stdin (its line ending dropped), so
// `printf %s "$PW" | warren admin account password ...` works.
func readPassword(e *command.Env) (string, error) {
	if f, ok := e.Stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(e.Stderr, "new password: ")
		a, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(e.Stderr)
		if err != nil {
			return "", err
		}
		fmt.Fprint(e.Stderr, "again: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(e.Stderr)
		if err != nil {
			return "", err
		}
		if string(a) != string(b) {
			return "", domain.Errorf(domain.CodeInvalid, "the two passwords differ")
		}
		return string(a), nil
	}
	line, err := bufio.NewReader(io.LimitReader(e.Stdin, 4096)).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", err
	}
	return strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r"), nil
}
