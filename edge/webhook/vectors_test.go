package webhook

import (
	"net/http"
	"time"

	stripewebhook "github.com/stripe/stripe-go/v82/webhook"
)

// delivery is one signed webhook as it reached the tunnel.
type delivery struct {
	name     string
	scheme   Scheme
	secret   string
	header   http.Header
	body     []byte
	signedAt time.Time
}

// GitHub's published test vector (docs.github.com, "Validating webhook
// deliveries").
var githubVector = delivery{
	name:   "github",
	scheme: Scheme{Provider: GitHub},
	secret: "It's a Secret to Everybody",
	header: http.Header{"X-Hub-Signature-256": {"sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"}},
	body:   []byte("Hello, World!"),
}

// Slack's documented example (api.slack.com, "Verifying requests from
// Slack").
var slackVector = delivery{
	name:   "slack",
	scheme: Scheme{Provider: Slack},
	secret: "8f742231b10e8888abcd99yyyzzz85a5",
	header: http.Header{
		"X-Slack-Request-Timestamp": {"1531420618"},
		"X-Slack-Signature":         {"v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"},
	},
	body:     []byte("token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"),
	signedAt: time.Unix(1531420618, 0),
}

// The Standard Webhooks specification's example (standard-webhooks repo,
// spec and reference libraries' tests).
var standardVector = delivery{
	name:   "standard",
	scheme: Scheme{Provider: Standard},
	secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
	header: http.Header{
		"Webhook-Id":        {"msg_p5jXN8AQM9LWM0D4loKWxJek"},
		"Webhook-Timestamp": {"1614265330"},
		"Webhook-Signature": {"v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="},
	},
	body:     []byte(`{"test": 2432232314}`),
	signedAt: time.Unix(1614265330, 0),
}

// stripeDelivery is signed by stripe-go itself, so Warren is checked
// against Stripe's SDK rather than against its own idea of the scheme.
func stripeDelivery(at time.Time) delivery {
	body := []byte(`{"id":"evt_1","object":"event","type":"invoice.paid","api_version":"2025-07-30.basil","data":{"object":{}}}`)
	const secret = "whsec_test_3ZzLXxAbCdEf"
	p := stripewebhook.GenerateTestSignedPayload(&stripewebhook.UnsignedPayload{Payload: body, Secret: secret, Timestamp: at})
	return delivery{
		name:     "stripe",
		scheme:   Scheme{Provider: Stripe},
		secret:   secret,
		header:   http.Header{"Stripe-Signature": {p.Header}},
		body:     body,
		signedAt: at,
	}
}

// hmacDelivery reuses GitHub's vector under a header of the owner's
// choosing: the same HMAC-SHA256-hex over the body, without a timestamp.
func hmacDelivery(prefix string) delivery {
	return delivery{
		name:   "hmac-sha256" + prefix,
		scheme: Scheme{Provider: HMACSHA256, Header: "X-Signature"},
		secret: githubVector.secret,
		header: http.Header{"X-Signature": {prefix + "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"}},
		body:   githubVector.body,
	}
}

// allDeliveries is one genuine delivery per scheme.
func allDeliveries() []delivery {
	return []delivery{
		stripeDelivery(time.Unix(1_780_000_000, 0)),
		githubVector, slackVector, standardVector,
		hmacDelivery(""), hmacDelivery("sha256="),
	}
}
