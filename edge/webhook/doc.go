// Package webhook checks the signatures webhook senders put on their
// deliveries, and re-signs a captured delivery with a fresh timestamp so a
// replay passes the receiver's own freshness check.
//
// A verifier is a Scheme (provider, and for plain HMAC the header name:
// nothing secret, fit for an event) plus a secret (which never is: it lives
// in the sealed store, edge/sealed). ParseSpec splits the --verify-webhook
// flag into the two.
//
// Schemes, with what each signs:
//
//	stripe       Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
//	github       X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, body)>
//	slack        X-Slack-Signature: v0=<hex HMAC-SHA256(secret, "v0:<ts>:<body>")>
//	             with X-Slack-Request-Timestamp: <ts>
//	standard     webhook-id, webhook-timestamp, webhook-signature: v1,<base64 HMAC-SHA256(
//	             base64-decoded secret, "<id>.<ts>.<body>")> (space-separated list);
//	             Svix's svix-* names are read too
//	hmac-sha256  <Header>: [sha256=]<hex HMAC-SHA256(secret, body)>
//
// The timestamped schemes (stripe, slack, standard) refuse a delivery more
// than Tolerance away from now, as the providers' SDKs do; those are the
// ones Resign changes. Every comparison of a signature is constant-time.
//
// Verify takes a whole body; Start/Check take it as it streams, so the
// edge can verify a delivery larger than its capture limit without a copy.
package webhook
