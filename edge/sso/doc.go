// Package sso puts an OpenID Connect login in front of a tunnel: a visitor
// without a session is sent to the issuer (authorization code flow with
// state, nonce and PKCE S256), the callback on the tunnel's own host
// (CallbackPath) verifies the ID token and checks its verified email
// against the tunnel's allow list, and a short-lived session cookie, signed
// with a key of the server's that no log holds, lets the visitor's later
// requests through. The original request URL is resumed after login.
//
// The gate answers what it handles itself (the redirect to the issuer,
// the callback, a refusal) and the edge never forwards those to the agent;
// its own cookies are removed from a request it lets through, so the local
// service and the capture never see them.
package sso
