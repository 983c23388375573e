package sso

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"html"
	"net/http"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"warren/domain"
)

// CallbackPath is the reserved path on a tunnel's host where the issuer
// sends the visitor back. It never reaches the agent.
const CallbackPath = "/.warren/oidc/callback"

// Config is one tunnel's login.
type Config struct {
	Issuer       string
	ClientID     string
	ClientSecret string // held in memory only, for the tunnel's life
	// AllowEmails lists who may sign in: "user@example.com" exactly, or
	// "@example.com" for a whole domain. At least one; only an email the
	// issuer marks email_verified counts.
	AllowEmails []string
	// Key signs the gate's cookies (at least 32 bytes). The server's, never
	// in the log: whoever holds it could mint sessions.
	Key []byte
	// HTTPClient reaches the issuer (discovery, keys, token exchange);
	// default one with a 10 s timeout.
	HTTPClient *http.Client
	// SessionTTL is a session cookie's life (default 1 h).
	SessionTTL time.Duration
	Now        func() time.Time
}

// Gate is one tunnel's login. Safe for concurrent use.
type Gate struct {
	cfg      Config
	provider *oidc.Provider
	verifier *oidc.IDTokenVerifier
	signer   signer
}

const (
	flowTTL     = 10 * time.Minute
	sessionName = "warren_oidc"
	flowName    = "warren_oidc_flow"
)

// New checks c and runs the issuer's discovery (bounded by ctx).
// CodeInvalid for a missing field, an email rule that is not an address or
// @domain, or an issuer that cannot be discovered.
func New(ctx context.Context, c Config) (*Gate, error) {
	if c.Issuer == "" || c.ClientID == "" || c.ClientSecret == "" {
		return nil, domain.Errorf(domain.CodeInvalid, "OIDC needs an issuer, a client id and a client secret")
	}
	if len(c.AllowEmails) == 0 {
		return nil, domain.Errorf(domain.CodeInvalid, "OIDC needs --allow-email (user@example.com or @example.com): the issuer alone would let in anyone with an account there")
	}
	for i, e := range c.AllowEmails {
		e = strings.ToLower(strings.TrimSpace(e))
		at := strings.LastIndexByte(e, '@')
		if at < 0 || at == len(e)-1 || strings.ContainsAny(e, " ,\"<>") {
			return nil, domain.Errorf(domain.CodeInvalid, "--allow-email %q is neither user@domain nor @domain", e)
		}
		c.AllowEmails[i] = e
	}
	if len(c.Key) < 32 {
		return nil, domain.Errorf(domain.CodeInternal, "OIDC cookie key shorter than 32 bytes")
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if c.SessionTTL <= 0 {
		c.SessionTTL = time.Hour
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, c.HTTPClient), c.Issuer)
	if err != nil {
		return nil, domain.Errorf(domain.CodeInvalid, "OIDC issuer %s: %v", c.Issuer, err)
	}
	g := &Gate{cfg: c, provider: p, signer: signer{key: c.Key}}
	g.verifier = p.Verifier(&oidc.Config{ClientID: c.ClientID, Now: c.Now})
	return g, nil
}

// Result is what Check did with a request.
type Result struct {
	// Allowed: a signed-in visitor; the request goes on to the agent
	// (without the gate's cookie). Otherwise the gate has answered.
	Allowed bool
	Email   string // who signed in (Allowed, or a completed login)
	// LoggedIn: the request was a callback that completed a login; the
	// answer is the redirect back to the original URL. Not a refusal.
	LoggedIn bool
	Status   int    // the status the gate answered with (not Allowed)
	Reason   string // why it refused, for logs (never shown in full to the visitor)
}

// Check lets a request with a valid session through, completes a login at
// CallbackPath, and sends anyone else to the issuer (a GET or HEAD that a
// browser would follow) or answers 401. scheme is how the visitor reached
// the edge ("http" or "https").
func (g *Gate) Check(w http.ResponseWriter, r *http.Request, scheme string) Result {
	secure := scheme == "https"
	if r.URL.Path == CallbackPath {
		return g.callback(w, r, scheme)
	}
	if c, err := r.Cookie(cookieName(sessionName, secure)); err == nil {
		var s session
		if g.signer.open("session", c.Value, &s) && s.Host == r.Host && !expired(s.Exp, g.cfg.Now()) {
			stripCookie(r, cookieName(sessionName, secure))
			return Result{Allowed: true, Email: s.Email}
		}
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead || wantsJSON(r) {
		return g.refuse(w, r, http.StatusUnauthorized, "no session", "Sign in first: this tunnel asks for a login.")
	}
	return g.start(w, r, scheme)
}

// start sends the visitor to the issuer, remembering state, nonce, the
// PKCE verifier and the URL to resume in a signed cookie.
func (g *Gate) start(w http.ResponseWriter, r *http.Request, scheme string) Result {
	secure := scheme == "https"
	f := flow{State: random(), Nonce: random(), Verifier: oauth2.GenerateVerifier(),
		Return: r.URL.RequestURI(), Host: r.Host, Exp: g.cfg.Now().Add(flowTTL).Unix()}
	v, err := g.signer.sign("flow", f)
	if err != nil {
		return g.refuse(w, r, http.StatusInternalServerError, "signing: "+err.Error(), "The login could not start.")
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName(flowName, secure), Value: v, Path: "/", MaxAge: int(flowTTL / time.Second),
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode})
	u := g.oauth(scheme, r.Host).AuthCodeURL(f.State, oidc.Nonce(f.Nonce), oauth2.S256ChallengeOption(f.Verifier))
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, u, http.StatusFound)
	return Result{Status: http.StatusFound, Reason: "sent to the issuer"}
}

// callback completes a login: the flow cookie must match the state, the
// code is exchanged with the PKCE verifier, the ID token verified (issuer,
// audience, expiry, signature), its nonce checked, and its email verified
// and allowed.
func (g *Gate) callback(w http.ResponseWriter, r *http.Request, scheme string) Result {
	secure := scheme == "https"
	var f flow
	c, err := r.Cookie(cookieName(flowName, secure))
	if err != nil || !g.signer.open("flow", c.Value, &f) || f.Host != r.Host || expired(f.Exp, g.cfg.Now()) {
		return g.refuse(w, r, http.StatusForbidden, "no or bad login cookie", "This login expired or was started elsewhere. Reload the page to sign in again.")
	}
	q := r.URL.Query()
	if q.Get("state") == "" || q.Get("state") != f.State {
		return g.refuse(w, r, http.StatusForbidden, "state mismatch", "This login expired or was started elsewhere. Reload the page to sign in again.")
	}
	if e := q.Get("error"); e != "" {
		return g.refuse(w, r, http.StatusForbidden, "issuer error: "+e, "The login was refused by the identity provider.")
	}
	ctx := oidc.ClientContext(r.Context(), g.cfg.HTTPClient)
	tok, err := g.oauth(scheme, r.Host).Exchange(ctx, q.Get("code"), oauth2.VerifierOption(f.Verifier))
	if err != nil {
		return g.refuse(w, r, http.StatusForbidden, "code exchange: "+err.Error(), "The login could not be completed.")
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := g.verifier.Verify(ctx, raw)
	if err != nil {
		return g.refuse(w, r, http.StatusForbidden, "id token: "+err.Error(), "The login could not be completed.")
	}
	if idt.Nonce != f.Nonce {
		return g.refuse(w, r, http.StatusForbidden, "nonce mismatch", "The login could not be completed.")
	}
	var claims struct {
		Email    string `json:"email"`
		Verified any    `json:"email_verified"` // some issuers send "true"
	}
	if err := idt.Claims(&claims); err != nil {
		return g.refuse(w, r, http.StatusForbidden, "claims: "+err.Error(), "The login could not be completed.")
	}
	if v := fmt.Sprint(claims.Verified); v != "true" || claims.Email == "" {
		return g.refuse(w, r, http.StatusForbidden, "email not verified", "Your identity provider has not verified your email address.")
	}
	if !g.allowed(claims.Email) {
		return g.refuse(w, r, http.StatusForbidden, "email not allowed: "+claims.Email, "Your account ("+claims.Email+") may not reach this tunnel.")
	}
	s, err := g.signer.sign("session", session{Email: strings.ToLower(claims.Email), Host: r.Host, Exp: g.cfg.Now().Add(g.cfg.SessionTTL).Unix()})
	if err != nil {
		return g.refuse(w, r, http.StatusInternalServerError, "signing: "+err.Error(), "The login could not be completed.")
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName(flowName, secure), Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode})
	http.SetCookie(w, &http.Cookie{Name: cookieName(sessionName, secure), Value: s, Path: "/", MaxAge: int(g.cfg.SessionTTL / time.Second),
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode})
	back := f.Return
	if !strings.HasPrefix(back, "/") || strings.HasPrefix(back, "//") || strings.HasPrefix(back, "/\\") {
		back = "/"
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, back, http.StatusSeeOther)
	return Result{LoggedIn: true, Email: claims.Email, Status: http.StatusSeeOther}
}

// allowed matches email against the allow list: whole addresses exactly,
// "@domain" by the part after the last '@' (case-insensitive).
func (g *Gate) allowed(email string) bool {
	email = strings.ToLower(email)
	at := strings.LastIndexByte(email, '@')
	if at <= 0 {
		return false
	}
	for _, a := range g.cfg.AllowEmails {
		if a == email || a[0] == '@' && a == email[at:] {
			return true
		}
	}
	return false
}

func (g *Gate) oauth(scheme, host string) *oauth2.Config {
	return &oauth2.Config{ClientID: g.cfg.ClientID, ClientSecret: g.cfg.ClientSecret, Endpoint: g.provider.Endpoint(),
		RedirectURL: scheme + "://" + host + CallbackPath, Scopes: []string{oidc.ScopeOpenID, "email"}}
}

const page = `<!doctype html>
<html><head><meta charset="utf-8"><title>%d %s</title></head>
<body><h1>%d %s</h1><p>%s</p><p><small>Warren edge</small></p></body></html>
`

func (g *Gate) refuse(w http.ResponseWriter, r *http.Request, status int, reason, msg string) Result {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Warren-Error", "oidc")
	title := http.StatusText(status)
	if wantsJSON(r) {
		h.Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"error":"unauthorized","message":%q}`+"\n", msg)
	} else {
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Security-Policy", "default-src 'none'")
		w.WriteHeader(status)
		fmt.Fprintf(w, page, status, title, status, title, html.EscapeString(msg))
	}
	return Result{Status: status, Reason: reason}
}

func wantsJSON(r *http.Request) bool {
	a := r.Header.Get("Accept")
	return strings.Contains(a, "application/json") && !strings.Contains(a, "text/html")
}

// cookieName is name, with the __Host- prefix over https: the browser then
// holds it to this host, path / and Secure, whatever a sibling subdomain
// tries to set.
func cookieName(name string, secure bool) string {
	if secure {
		return "__Host-" + name
	}
	return name
}

// stripCookie removes one cookie from r's Cookie headers.
func stripCookie(r *http.Request, name string) {
	var keep []string
	for _, c := range r.Cookies() {
		if c.Name != name {
			keep = append(keep, (&http.Cookie{Name: c.Name, Value: c.Value}).String())
		}
	}
	r.Header.Del("Cookie")
	if len(keep) > 0 {
		r.Header.Set("Cookie", strings.Join(keep, "; "))
	}
}

func random() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}
