package dashboard

import (
	"crypto/subtle"
	"io"

	"golang.org/x/crypto/argon2"

	"warren/domain"
)

// Params are argon2id's cost parameters.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
}

// RFC9106Second is RFC 9106's second recommended option (section 4): 64 MiB,
// 3 passes, 4 lanes. The first (2 GiB) does not fit a small server that also
// carries tunnels; this one costs 64 MiB and, on 2 shared cores, about
// 0.5 s per sign-in (docs/performance.md).
var RFC9106Second = Params{Memory: 64 * 1024, Time: 3, Threads: 4}

const (
	saltLen = 16 // RFC 9106: 128 bits
	keyLen  = 32 // RFC 9106: 256-bit tag
)

// HashPassword hashes pw with a fresh salt from rnd and returns the PHC
// string. CodeInvalid for a password ValidatePassword refuses;
// CodeInternal when rnd fails.
func HashPassword(rnd io.Reader, pw string, p Params) (string, error) {
	if err := domain.ValidatePassword(pw); err != nil {
		return "", err
	}
	salt := make([]byte, saltLen)
	if _, err := io.ReadFull(rnd, salt); err != nil {
		return "", &domain.Error{Code: domain.CodeInternal, Message: "reading a salt", Err: err}
	}
	h := domain.PasswordHash{Memory: p.Memory, Time: p.Time, Threads: p.Threads, Salt: salt,
		Key: argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, keyLen)}
	return h.String(), nil
}

// VerifyPassword reports whether pw matches the PHC string phc, computing
// with phc's own parameters (so raising the defaults keeps old hashes
// valid) and comparing in constant time. CodeInvalid for a phc that does
// not parse.
func VerifyPassword(phc, pw string) (bool, error) {
	h, err := domain.ParsePasswordHash(phc)
	if err != nil {
		return false, err
	}
	if len(pw) > 1024 {
		return false, nil // never set by HashPassword; not worth hashing
	}
	got := argon2.IDKey([]byte(pw), h.Salt, h.Time, h.Memory, h.Threads, uint32(len(h.Key)))
	return subtle.ConstantTimeCompare(got, h.Key) == 1, nil
}

// dummyHash is verified against when an email has no account or no
// password, so a failed sign-in costs the same time either way and the
// answer's timing does not tell which emails exist.
var dummyHash = domain.PasswordHash{Memory: RFC9106Second.Memory, Time: RFC9106Second.Time, Threads: RFC9106Second.Threads,
	Salt: make([]byte, saltLen), Key: make([]byte, keyLen)}.String()

// VerifyNothing spends the time of one VerifyPassword with the default
// parameters and answers false.
func VerifyNothing(pw string) {
	_, _ = VerifyPassword(dummyHash, pw)
}
