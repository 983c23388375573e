package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"golang.org/x/oauth2"
)

// deviceClientID is the client_id the server knows the CLI by.
const deviceClientID = "warren-cli"

// deviceLogin signs in through the browser with the RFC 8628 device
// authorization grant the server serves at /api/v1/device/{code,token}:
// it asks for a code, prints the URL and the user code to out, and polls
// (every interval the server gives, slower when told to slow_down) until
// a person signed in to the dashboard approves or denies it, or it
// expires. It returns the new API key the approval minted. hc carries the
// connection settings (CA, TLS checks, redirects) of the other commands.
func deviceLogin(ctx context.Context, server string, hc *http.Client, out io.Writer) (key string, err error) {
	server = strings.TrimRight(server, "/")
	cfg := &oauth2.Config{ClientID: deviceClientID, Endpoint: oauth2.Endpoint{
		DeviceAuthURL: server + "/api/v1/device/code",
		TokenURL:      server + "/api/v1/device/token",
		// The client has no secret: send client_id in the form, never as
		// Basic auth (auto-detection would try that first).
		AuthStyle: oauth2.AuthStyleInParams,
	}}
	ctx = context.WithValue(ctx, oauth2.HTTPClient, hc)
	da, err := cfg.DeviceAuth(ctx)
	if err != nil {
		return "", deviceLoginError(ctx, err)
	}
	open := da.VerificationURIComplete
	if open == "" {
		open = da.VerificationURI
	}
	fmt.Fprintf(out, "To log in, open this page in a browser where you are signed in to Warren:\n\n    %s\n\n"+
		"and check that it shows the code %s. Waiting for approval…\n", open, da.UserCode)
	tok, err := cfg.DeviceAccessToken(ctx, da)
	if err != nil {
		return "", deviceLoginError(ctx, err)
	}
	if tok.AccessToken == "" {
		return "", errors.New("device login: the server approved but sent no key")
	}
	return tok.AccessToken, nil
}

// deviceLoginError says what went wrong in words a person can act on.
func deviceLoginError(ctx context.Context, err error) error {
	var re *oauth2.RetrieveError
	switch {
	case errors.As(err, &re) && re.ErrorCode == "access_denied":
		return errors.New("the login was denied in the browser")
	case errors.As(err, &re) && re.ErrorCode == "expired_token",
		errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil:
		// DeviceAccessToken stops at the code's expiry with its own deadline.
		return errors.New("the code expired before it was approved; run warren login again")
	case errors.As(err, &re) && re.Response != nil && re.Response.StatusCode == http.StatusNotFound:
		return errors.New("this server does not offer login through the browser; use warren login --key")
	case errors.As(err, &re) && re.ErrorDescription != "":
		return fmt.Errorf("device login: %s (%s)", re.ErrorDescription, re.ErrorCode)
	case errors.As(err, &re) && re.ErrorCode != "":
		return fmt.Errorf("device login: %s", re.ErrorCode)
	}
	return fmt.Errorf("device login: %w", err)
}
