package access

import (
	"crypto/rand"
	"io"
	"strings"

	"golang.org/x/crypto/argon2"

	"warren/domain"
)

// Credential is one basic-auth user as stored: the user name and an
// argon2id PHC hash of the password. It is what an event may carry; the
// password itself is never kept.
type Credential struct {
	User string
	Hash string
}

// Params are argon2id's cost parameters for a tunnel password.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
}

// DefaultParams is OWASP's argon2id minimum (19 MiB, 2 passes, 1 lane):
// lighter than the dashboard's sign-in hash, because a tunnel's visitors
// send their password with every request (Rules caches what it verified,
// but each new connection's first request pays it).
var DefaultParams = Params{Memory: 19 * 1024, Time: 2, Threads: 1}

// maxUser bounds a user name.
const maxUser = 128

// HashCredential reads a --basic-auth value "user:password" and hashes the
// password with a fresh salt. CodeInvalid for a missing or malformed user
// name (empty, a ':' or control character, over 128 bytes) and for a
// password domain.ValidatePassword refuses. The error never quotes the
// value.
func HashCredential(spec string) (Credential, error) {
	return hashCredential(rand.Reader, spec, DefaultParams)
}

func hashCredential(rnd io.Reader, spec string, p Params) (Credential, error) {
	user, pw, ok := strings.Cut(spec, ":")
	if !ok {
		return Credential{}, domain.Errorf(domain.CodeInvalid, "--basic-auth: want user:password")
	}
	if err := checkUser(user); err != nil {
		return Credential{}, err
	}
	if err := domain.ValidatePassword(pw); err != nil {
		return Credential{}, domain.Errorf(domain.CodeInvalid, "--basic-auth: %s", domain.ErrorMessage(err))
	}
	salt := make([]byte, 16)
	if _, err := io.ReadFull(rnd, salt); err != nil {
		return Credential{}, &domain.Error{Code: domain.CodeInternal, Message: "reading a salt", Err: err}
	}
	h := domain.PasswordHash{Memory: p.Memory, Time: p.Time, Threads: p.Threads, Salt: salt,
		Key: argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, 32)}
	return Credential{User: user, Hash: h.String()}, nil
}

// checkUser refuses a user name basic auth cannot carry or a log should
// not print. CodeInvalid.
func checkUser(user string) error {
	if user == "" || len(user) > maxUser {
		return domain.Errorf(domain.CodeInvalid, "--basic-auth: the user name is 1 to %d bytes", maxUser)
	}
	for i := 0; i < len(user); i++ {
		if c := user[i]; c < 0x20 || c == 0x7f || c == ':' {
			return domain.Errorf(domain.CodeInvalid, "--basic-auth: the user name may not hold ':' or control characters")
		}
	}
	return nil
}
