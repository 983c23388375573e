package httpapi

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"

	"warren/domain"
)

// overridesSlack is what the overrides document may hold beyond its body:
// the other fields, and escapes inside the body's JSON string.
const overridesSlack = 64 << 10

// readOverrides decodes a replay's body. No body (or only whitespace) keeps
// the capture as it was. The content type follows the API's rule (JSON, none,
// or curl's default form type when the body looks like JSON); unlike other
// routes, unknown fields are refused, so a misspelt override is a 400 rather
// than a replay of the unchanged request. The body override may hold at
// most bodyCap bytes (the plan's capture limit) and the whole document
// twice that plus 64 KiB (escapes): past either, CodeTooLarge. The JSON is
// decoded straight from the connection: the decoder's buffer and the
// decoded body are the only copies, and the edge sends the latter as is.
func readOverrides(r *http.Request, bodyCap int64) (domain.ReplayOverrides, error) {
	var o domain.ReplayOverrides
	if r.ContentLength == 0 || r.Body == nil {
		return o, nil
	}
	docCap := 2*bodyCap + overridesSlack
	tooLarge := domain.Errorf(domain.CodeTooLarge, "a body override is limited to the plan's capture limit, %d bytes (the overrides document to %d)", bodyCap, docCap)
	if r.ContentLength > docCap {
		return o, tooLarge
	}
	lr := &capReader{r: r.Body, left: docCap}
	br := bufio.NewReader(lr)
	first, err := firstNonSpace(br)
	switch {
	case errors.Is(err, io.EOF):
		return o, nil // only whitespace
	case lr.over:
		return o, tooLarge
	case err != nil:
		return o, domain.Errorf(domain.CodeInvalid, "cannot read the request body")
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if !jsonBodyType(mt, first) {
		return o, &domain.Error{Code: codeUnsupportedMedia, Message: "the body must be application/json"}
	}
	dec := json.NewDecoder(br)
	dec.DisallowUnknownFields()
	if err := decodeWith(dec, &o); err != nil {
		if lr.over {
			return o, tooLarge
		}
		return o, domain.Errorf(domain.CodeInvalid, "bad overrides: %s", domain.ErrorMessage(err))
	}
	if o.Body != nil && int64(len(*o.Body)) > bodyCap {
		return o, tooLarge
	}
	return o, o.Validate()
}

// firstNonSpace peeks past leading JSON whitespace at the first byte of
// the document, leaving it unread (io.EOF: there is none).
func firstNonSpace(br *bufio.Reader) (byte, error) {
	for {
		b, err := br.ReadByte()
		if err != nil {
			return 0, err
		}
		if !strings.ContainsRune(" \t\r\n", rune(b)) {
			return b, br.UnreadByte()
		}
	}
}

// jsonBodyType reports whether a body of media type mt (unparseable: "")
// whose first byte is first counts as JSON: JSON types, no type, or the form
// type when the body starts as a JSON object or array would (so a typo in
// it is a 400 naming the error, not a 415).
func jsonBodyType(mt string, first byte) bool {
	switch {
	case mt == "", mt == "application/json", strings.HasSuffix(mt, "+json"):
		return true
	case mt == "application/x-www-form-urlencoded":
		return first == '{' || first == '['
	}
	return false
}

// capReader reads at most left bytes of r and notes when r held more.
type capReader struct {
	r    io.Reader
	left int64
	over bool
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		// One byte more tells a body of exactly the cap from a longer one.
		var one [1]byte
		if n, _ := io.ReadFull(c.r, one[:]); n > 0 {
			c.over = true
			return 0, errors.New("request body over its limit")
		}
		return 0, io.EOF
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}

// replaySlots bounds the replays an account runs at once: each holds its
// overrides in memory while its tunnel answers.
type replaySlots struct {
	max int
	mu  sync.Mutex
	n   map[string]int // running replays by account
}

// acquire takes one of the account's slots, or fails with CodeQuota (429,
// Retry-After 1 s) when all are taken. done gives the slot back.
func (rs *replaySlots) acquire(accountID string) (done func(), err error) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.n[accountID] >= rs.max {
		e := domain.Errorf(domain.CodeQuota, "%d replays of this account are already running; retry when one is done", rs.max)
		e.RetryAfter = time.Second
		return nil, e
	}
	rs.n[accountID]++
	return func() {
		rs.mu.Lock()
		defer rs.mu.Unlock()
		if rs.n[accountID]--; rs.n[accountID] == 0 {
			delete(rs.n, accountID)
		}
	}, nil
}
