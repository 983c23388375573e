package webhook_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"warren/edge/sealed"
	"warren/edge/webhook"
)

// Example shows the wiring issue 17 needs: the flag is split into a scheme
// (for the event) and a secret (for the sealed store); at capture the
// secret is fetched by id to verify; a replay is re-signed.
func Example() {
	dir, _ := os.MkdirTemp("", "warren-example")
	defer os.RemoveAll(dir)
	store, err := sealed.Open(sealed.Options{Path: filepath.Join(dir, "secrets.sealed"), KeyPath: filepath.Join(dir, "secrets.key")})
	if err != nil {
		panic(err)
	}
	defer store.Close()

	scheme, secret, err := webhook.ParseSpec("standard:whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if err != nil {
		panic(err)
	}
	id, _, _ := store.Put(secret) // the event records scheme.String(), id and fingerprint

	h := http.Header{}
	h.Set("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek")
	h.Set("webhook-timestamp", "1614265330")
	h.Set("webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
	body := []byte(`{"test": 2432232314}`)

	s, _ := store.Get(id)
	fmt.Println(scheme, webhook.Verify(scheme, s, h, body, time.Unix(1614265331, 0)))

	later := time.Unix(1614265330, 0).Add(24 * time.Hour)
	fmt.Println(webhook.Verify(scheme, s, h, body, later))
	h2, changed, _ := webhook.Resign(scheme, s, h, body, later)
	fmt.Println(changed, webhook.Verify(scheme, s, h2, body, later))
	// Output:
	// standard {standard true }
	// {standard false timestamp_expired}
	// [Webhook-Timestamp Webhook-Signature] {standard true }
}
