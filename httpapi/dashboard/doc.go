// Package dashboard holds what the dashboard's sign-in stands on: argon2id
// password hashing and the session tokens. The web app itself comes later;
// the JSON routes that use these live in httpapi.
package dashboard
