package domain

import (
	"fmt"
	"io"
	"strings"
)

// reservedSubdomains are names no account may claim: they are, or may become,
// Warren's own hosts.
var reservedSubdomains = map[string]bool{
	"api": true, "www": true, "admin": true, "dashboard": true, "agent": true,
	"app": true, "auth": true, "login": true, "status": true, "docs": true,
	"mail": true, "smtp": true, "ftp": true, "ns1": true, "ns2": true,
	"warren": true, "static": true, "assets": true, "metrics": true, "root": true,
}

// ValidateSubdomain checks a requested subdomain: one DNS label of lowercase
// letters, digits and hyphens, 3–63 characters, starting and ending with a
// letter or digit, and not a reserved word. It fails with CodeInvalid.
func ValidateSubdomain(s string) error {
	if err := ValidateSubdomainSyntax(s); err != nil {
		return err
	}
	if reservedSubdomains[s] {
		return Errorf(CodeInvalid, "subdomain %q is reserved", s)
	}
	return nil
}

// ValidateSubdomainSyntax is ValidateSubdomain without the reserved words:
// what a name that exists (or existed, before a word was reserved) may be.
func ValidateSubdomainSyntax(s string) error {
	if len(s) < 3 || len(s) > 63 {
		return Errorf(CodeInvalid, "subdomain %q must be 3 to 63 characters long", s)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '-':
			if i == 0 || i == len(s)-1 {
				return Errorf(CodeInvalid, "subdomain %q must start and end with a letter or digit", s)
			}
		default:
			return Errorf(CodeInvalid, "subdomain %q may hold only lowercase letters, digits and hyphens", s)
		}
	}
	return nil
}

var (
	nameAdjectives = []string{"amber", "brave", "calm", "dusty", "eager", "fuzzy", "gentle", "happy",
		"icy", "jolly", "keen", "lucky", "mellow", "nimble", "olive", "proud", "quiet", "rapid",
		"shiny", "tidy", "urban", "vivid", "witty", "young", "zesty", "bold", "crisp", "misty"}
	nameNouns = []string{"badger", "beaver", "otter", "rabbit", "fox", "heron", "lynx", "marten",
		"mole", "newt", "owl", "panda", "quail", "raven", "stoat", "tapir", "vole", "walrus",
		"yak", "zebra", "ferret", "gecko", "hare", "ibis", "koala", "lemur", "moose", "puffin"}
)

// RandomSubdomain draws a readable name such as "brave-otter-4821" from rnd.
// Callers retry on a collision.
func RandomSubdomain(rnd io.Reader) (string, error) {
	var b [4]byte
	if _, err := io.ReadFull(rnd, b[:]); err != nil {
		return "", &Error{Code: CodeInternal, Message: "reading randomness", Err: err}
	}
	adj := nameAdjectives[int(b[0])%len(nameAdjectives)]
	noun := nameNouns[int(b[1])%len(nameNouns)]
	num := (int(b[2])<<8 | int(b[3])) % 10000
	return fmt.Sprintf("%s-%s-%04d", adj, noun, num), nil
}

// ValidateHostname checks a custom domain name: lowercase DNS labels joined by
// dots, at least two labels, at most 253 characters. It fails with CodeInvalid.
func ValidateHostname(name string) error {
	if len(name) == 0 || len(name) > 253 {
		return Errorf(CodeInvalid, "domain %q must be 1 to 253 characters long", name)
	}
	labels := strings.Split(name, ".")
	if len(labels) < 2 {
		return Errorf(CodeInvalid, "domain %q needs at least two labels", name)
	}
	for _, l := range labels {
		if len(l) == 0 || len(l) > 63 {
			return Errorf(CodeInvalid, "domain %q has an empty or over-long label", name)
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			ok := c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' && i > 0 && i < len(l)-1
			if !ok {
				return Errorf(CodeInvalid, "domain %q may hold only lowercase letters, digits, hyphens and dots", name)
			}
		}
	}
	// No top-level label is all digits (RFC 3696 §2): this is an IPv4
	// address, which has no TXT record to prove it and no Host to route.
	if strings.Trim(labels[len(labels)-1], "0123456789") == "" {
		return Errorf(CodeInvalid, "domain %q is an IP address, not a hostname", name)
	}
	return nil
}
