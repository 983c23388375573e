package domain

import (
	"net/textproto"
	"strings"
)

// ReplayOverrides change a replayed request: the body of POST
// /api/v1/me/tunnels/{sub}/requests/{id}/replay. It lives here because the
// API decodes it and the edge applies it, and neither imports the other.
// Nil fields keep the captured value; a header set to "" is removed.
type ReplayOverrides struct {
	Method  *string           `json:"method,omitempty"`
	Path    *string           `json:"path,omitempty"` // with query; must start with /
	Headers map[string]string `json:"headers,omitempty"`
	Body    *string           `json:"body,omitempty"` // required when the captured body was truncated or pruned
	// Resign (issue 17) signs a captured webhook delivery afresh with the
	// tunnel's verifier, so a receiver's freshness check passes; off by
	// default, so a replay is byte-exact unless asked.
	Resign bool `json:"resign,omitempty"`
	// MarkReplay adds a Warren-Replay-Of: req_… header to the request the
	// local service gets (off: the replay is byte for byte the capture).
	MarkReplay bool `json:"markReplay,omitempty"`
}

// managedHeaders are set by the edge for every request it sends: an override
// would be recorded in the new capture but never reach the local service.
var managedHeaders = map[string]bool{
	"Host": true, "Content-Length": true, "Transfer-Encoding": true, "Connection": true,
	"Keep-Alive": true, "Proxy-Connection": true, "Te": true, "Trailer": true, "Upgrade": true,
}

// Validate checks overrides before anything is sent (CodeInvalid): a method
// is an HTTP token, a path starts with "/" and holds no control characters,
// a header name is a token and its value has no CR, LF or NUL, and the
// headers the edge sets itself are not overridden.
func (o ReplayOverrides) Validate() error {
	if o.Method != nil && !isToken(*o.Method) {
		return Errorf(CodeInvalid, "method %q is not an HTTP method", *o.Method)
	}
	if o.Path != nil {
		if !strings.HasPrefix(*o.Path, "/") {
			return Errorf(CodeInvalid, "path %q must start with /", *o.Path)
		}
		if strings.ContainsFunc(*o.Path, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
			return Errorf(CodeInvalid, "path %q holds spaces or control characters (escape them)", *o.Path)
		}
	}
	if o.Resign && o.Body != nil {
		return Errorf(CodeInvalid, "resign signs the captured body again; it cannot sign a body override")
	}
	for name, value := range o.Headers {
		if !isToken(name) {
			return Errorf(CodeInvalid, "header name %q is not a valid HTTP header name", name)
		}
		if managedHeaders[textproto.CanonicalMIMEHeaderKey(name)] {
			return Errorf(CodeInvalid, "header %q is set by Warren for each request and cannot be overridden", name)
		}
		if strings.ContainsAny(value, "\r\n\x00") {
			return Errorf(CodeInvalid, "header %q: a value cannot hold CR, LF or NUL", name)
		}
	}
	return nil
}

// isToken reports whether s is an RFC 9110 token (methods, header names).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0 {
			continue
		}
		return false
	}
	return true
}
