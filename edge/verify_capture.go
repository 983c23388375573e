package edge

import (
	"bytes"
	"io"
	"net/http"
	"time"

	"warren/domain"
	"warren/edge/webhook"
	"warren/edge/wire"
)

// webhookCheck is one delivery being verified against its tunnel's
// verifiers (verify_hooks.go) while its body streams to the agent: the
// body is written into each matching verifier's webhook.Check as the
// proxy reads it, so verification holds no copy and delays nothing. Only
// an enforcing verifier reads the body first (up to maxEnforcedBody), since
// a delivery it refuses must never reach the agent. Guarded by the
// exchange's mu.
type webhookCheck struct {
	vs       []verifier
	checks   []*webhook.Check
	fixed    *domain.WebhookResult // decided from the headers (no matching signature)
	enforced bool                  // refused with a 401
	resigned []string              // a re-signed replay: the headers changed (nil: not re-signed)
}

// maxEnforcedBody bounds what an enforcing verifier holds to check before
// forwarding: webhook deliveries are kilobytes (Stripe's, GitHub's and
// Slack's are capped well below this).
const maxEnforcedBody = 4 << 20

// startWebhookCheck begins verifying r (the request the proxy sends, its
// body already the capture's tee) when x's tunnel has verifiers. It reports
// true when an enforcing verifier refused the delivery: the 401 is written
// and nothing is to be proxied.
func (s *Server) startWebhookCheck(w http.ResponseWriter, r *http.Request, x *exchange) bool {
	set := x.t.hooks.Load()
	if set == nil || len(set.vs) == 0 {
		return false
	}
	wc := &webhookCheck{}
	enforce := false
	for _, v := range set.vs {
		enforce = enforce || v.enforce
		if signed(v.scheme, r.Header) {
			wc.vs = append(wc.vs, v)
			wc.checks = append(wc.checks, webhook.Start(v.scheme, v.secret, r.Header))
		}
	}
	if len(wc.vs) == 0 {
		wc.fixed = &domain.WebhookResult{Provider: string(set.vs[0].scheme.Provider), Reason: webhook.ReasonMissing}
	}
	x.mu.Lock()
	x.hook = wc
	x.mu.Unlock()
	if !enforce {
		if wc.fixed == nil && r.Body != nil && r.Body != http.NoBody {
			r.Body = &hookReader{rc: r.Body, x: x}
		}
		return false
	}
	// Enforced: read (through the capture's tee) and check the body first.
	if wc.fixed == nil && r.Body != nil && r.Body != http.NoBody {
		buf, err := io.ReadAll(io.LimitReader(r.Body, maxEnforcedBody+1))
		if err != nil {
			return false // the proxy reports the broken body (proxyError)
		}
		if len(buf) > maxEnforcedBody {
			x.mu.Lock()
			wc.fixed = &domain.WebhookResult{Provider: string(wc.vs[0].scheme.Provider), Reason: webhook.ReasonMalformed}
			x.mu.Unlock()
		} else {
			x.mu.Lock()
			for _, c := range wc.checks {
				_, _ = c.Write(buf)
			}
			x.mu.Unlock()
			r.Body = struct {
				io.Reader
				io.Closer
			}{bytes.NewReader(buf), r.Body}
		}
	}
	x.mu.Lock()
	res := wc.resultLocked(x.start)
	if !res.Verified {
		wc.enforced = true
	}
	x.mu.Unlock()
	if res.Verified {
		return false
	}
	x.setError("webhook_unverified", http.StatusUnauthorized)
	writeError(&captureWriter{ResponseWriter: w, x: x}, r, http.StatusUnauthorized, "webhook_unverified",
		"Webhook signature did not verify",
		"This tunnel accepts only webhook deliveries whose signature verifies ("+string(res.Provider)+": "+res.Reason+"); this one was not delivered.")
	return true
}

// resultLocked is the verdict at now (the delivery's arrival): verified
// when any matching verifier verifies, else the first one's reason.
func (wc *webhookCheck) resultLocked(now time.Time) *domain.WebhookResult {
	if wc.fixed != nil {
		out := *wc.fixed
		return &out
	}
	var first webhook.Result
	for i, c := range wc.checks {
		r := c.Result(now)
		if r.Verified {
			return &domain.WebhookResult{Provider: string(r.Provider), Verified: true}
		}
		if i == 0 {
			first = r
		}
	}
	return &domain.WebhookResult{Provider: string(first.Provider), Reason: first.Reason}
}

// webhookResultLocked is what the capture records of x's verification
// (nil: its tunnel verifies nothing). x.mu is held.
func (x *exchange) webhookResultLocked() *domain.WebhookResult {
	wc := x.hook
	if wc == nil {
		return nil
	}
	res := wc.resultLocked(x.start)
	res.Enforced = wc.enforced
	if wc.resigned != nil {
		res.Resigned, res.ChangedHeaders = true, wc.resigned
	}
	return res
}

// hookReader writes the request body into the checks as the proxy reads
// it (after the capture's tee, which counts and stores it).
type hookReader struct {
	rc io.ReadCloser
	x  *exchange
}

func (h *hookReader) Read(p []byte) (int, error) {
	n, err := h.rc.Read(p)
	if n > 0 {
		h.x.mu.Lock()
		for _, c := range h.x.hook.checks {
			_, _ = c.Write(p[:n])
		}
		h.x.mu.Unlock()
	}
	return n, err
}

func (h *hookReader) Close() error { return h.rc.Close() }

// webhookLine is the verdict as the agent's request line carries it.
func webhookLine(w *domain.WebhookResult) *wire.WebhookLine {
	if w == nil {
		return nil
	}
	return &wire.WebhookLine{Provider: w.Provider, Verified: w.Verified, Reason: w.Reason, Enforced: w.Enforced, Resigned: w.Resigned}
}
