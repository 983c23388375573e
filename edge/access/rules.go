package access

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"net/netip"
	"sync"

	"golang.org/x/crypto/argon2"

	"warren/domain"
)

// Config is one tunnel's access rules.
type Config struct {
	BasicAuth []Credential   // any one of them lets a visitor in; none: no basic auth
	Allow     []netip.Prefix // when set, only these addresses pass
	Deny      []netip.Prefix // never pass; wins over Allow
	// TrustedProxies are the operator's proxies in front of the edge. Only
	// a request whose RemoteAddr is one of them has its client address
	// read from ClientIPHeader; without them the header is ignored.
	TrustedProxies []netip.Prefix
	ClientIPHeader string // default X-Forwarded-For
	Realm          string // basic-auth realm; default "warren"
}

// The reasons a visitor is refused, as captured (denied: ...).
const (
	ReasonBasicAuth = "basic_auth"
	ReasonIP        = "ip"
)

// Decision is what Check says of one request.
type Decision struct {
	Allowed bool
	Status  int    // 401 or 403 when refused; 0 when allowed
	Reason  string // ReasonBasicAuth or ReasonIP when refused
	User    string // the basic-auth user let in, if any
	// Client is the address the rules judged (invalid when unknown).
	Client netip.Addr
	// UsedAuthorization is set when basic auth let the request in: its
	// Authorization header carries the tunnel's password, so the edge must
	// drop it before capture and before forwarding to the agent.
	UsedAuthorization bool
}

// Rules checks requests against a Config. Safe for concurrent use.
type Rules struct {
	users     []Credential
	hashes    []domain.PasswordHash
	allow     []netip.Prefix
	deny      []netip.Prefix
	trusted   []netip.Prefix
	header    string
	realm     string
	dummy     domain.PasswordHash
	verifying chan struct{} // bounds concurrent argon2id runs
	cache     *verified
}

// maxConcurrentHashes bounds argon2id work at once per tunnel, so a flood
// of wrong passwords costs a few cores' worth, not all memory.
const maxConcurrentHashes = 2

// New validates c and builds its Rules. CodeInvalid for a credential whose
// hash does not parse, a user listed twice, or a realm with quotes,
// backslashes or control characters.
func New(c Config) (*Rules, error) {
	r := &Rules{header: c.ClientIPHeader, realm: c.Realm,
		verifying: make(chan struct{}, maxConcurrentHashes), cache: newVerified()}
	if r.header == "" {
		r.header = "X-Forwarded-For"
	}
	if r.realm == "" {
		r.realm = "warren"
	}
	if !validRealm(r.realm) {
		return nil, domain.Errorf(domain.CodeInvalid, "a realm is 1 to 64 printable characters without quotes or backslashes")
	}
	seen := map[string]bool{}
	for _, cr := range c.BasicAuth {
		if err := checkUser(cr.User); err != nil {
			return nil, err
		}
		if seen[cr.User] {
			return nil, domain.Errorf(domain.CodeInvalid, "basic-auth user %q is listed twice", cr.User)
		}
		seen[cr.User] = true
		h, err := domain.ParsePasswordHash(cr.Hash)
		if err != nil {
			return nil, err
		}
		r.users, r.hashes = append(r.users, cr), append(r.hashes, h)
	}
	if len(r.hashes) > 0 {
		h := r.hashes[0]
		r.dummy = domain.PasswordHash{Memory: h.Memory, Time: h.Time, Threads: h.Threads,
			Salt: make([]byte, len(h.Salt)), Key: make([]byte, len(h.Key))}
	}
	for _, set := range []struct {
		in  []netip.Prefix
		out *[]netip.Prefix
	}{{c.Allow, &r.allow}, {c.Deny, &r.deny}, {c.TrustedProxies, &r.trusted}} {
		for _, p := range set.in {
			if !p.IsValid() {
				return nil, domain.Errorf(domain.CodeInvalid, "an invalid CIDR prefix")
			}
			*set.out = append(*set.out, normalPrefix(p))
		}
	}
	return r, nil
}

// Realm is the basic-auth realm WriteRefusal names.
func (r *Rules) Realm() string { return r.realm }

// Check decides whether req may reach the tunnel. Address rules come
// first; an address that cannot be read (a malformed forwarding header
// from a trusted proxy) is refused whenever there are address rules.
func (r *Rules) Check(req *http.Request) Decision {
	addr, ok := clientAddr(req, r.trusted, r.header)
	d := Decision{Client: addr}
	if len(r.allow) > 0 || len(r.deny) > 0 {
		if !ok || anyContains(r.deny, addr) || len(r.allow) > 0 && !anyContains(r.allow, addr) {
			d.Status, d.Reason = http.StatusForbidden, ReasonIP
			return d
		}
	}
	if len(r.users) > 0 {
		user, pw, ok := req.BasicAuth()
		if !ok || !r.verify(req, user, pw) {
			d.Status, d.Reason = http.StatusUnauthorized, ReasonBasicAuth
			return d
		}
		d.User, d.UsedAuthorization = user, true
	}
	d.Allowed = true
	return d
}

// verify checks a user and password. The name is compared with every
// user's in constant time and an unknown name still costs one hash, so
// timing tells no names. A pair verified before is answered from the
// cache, since clients send it with every request.
func (r *Rules) verify(req *http.Request, user, pw string) bool {
	if len(user) > maxUser || len(pw) > 1024 {
		return false
	}
	ck := r.cache.key(user, pw)
	if r.cache.has(ck) {
		return true
	}
	h, match := r.dummy, -1
	for i, cr := range r.users {
		if subtle.ConstantTimeCompare([]byte(cr.User), []byte(user)) == 1 {
			h, match = r.hashes[i], i
		}
	}
	select {
	case r.verifying <- struct{}{}:
	case <-req.Context().Done():
		return false
	}
	got := argon2.IDKey([]byte(pw), h.Salt, h.Time, h.Memory, h.Threads, uint32(len(h.Key)))
	<-r.verifying
	ok := subtle.ConstantTimeCompare(got, h.Key) == 1 && match >= 0
	if ok {
		r.cache.add(ck)
	}
	return ok
}

// verified remembers user/password pairs that verified, as SHA-256 of a
// per-Rules random key and the pair, never the pair itself. It holds at
// most maxVerified; when full it starts over.
type verified struct {
	salt [32]byte
	mu   sync.Mutex
	set  map[[32]byte]struct{}
}

const maxVerified = 256

func newVerified() *verified {
	v := &verified{set: map[[32]byte]struct{}{}}
	_, _ = rand.Read(v.salt[:]) // crypto/rand.Read never fails (Go 1.24+)
	return v
}

func (v *verified) key(user, pw string) [32]byte {
	h := sha256.New()
	h.Write(v.salt[:])
	h.Write([]byte(user))
	h.Write([]byte{0})
	h.Write([]byte(pw))
	var k [32]byte
	copy(k[:], h.Sum(nil))
	return k
}

func (v *verified) has(k [32]byte) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	_, ok := v.set[k]
	return ok
}

func (v *verified) add(k [32]byte) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.set) >= maxVerified {
		clear(v.set)
	}
	v.set[k] = struct{}{}
}

// validRealm keeps the realm a plain quoted-string with nothing to escape.
func validRealm(s string) bool {
	if len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}
