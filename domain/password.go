package domain

import (
	"encoding/base64"
	"strconv"
	"strings"
)

// PasswordHash is an argon2id password hash in its PHC string form,
// $argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash> (salt and hash
// in unpadded standard base64). The hashing itself needs x/crypto and lives
// in httpapi/dashboard; domain only reads and writes the string, so the
// command that stores one can refuse anything that is not a hash.
type PasswordHash struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8  // lanes
	Salt    []byte
	Key     []byte
}

// Bounds a stored hash must fall within. A hash outside them is refused at
// parse time, so a forged or corrupted string can neither make a sign-in
// allocate gigabytes nor spin for minutes.
const (
	PasswordMaxMemory = 1 << 20 // KiB: 1 GiB
	PasswordMaxTime   = 64
	passwordMinSalt   = 8
	passwordMaxSalt   = 64
	passwordMinKey    = 16
	passwordMaxKey    = 64
)

// argon2Version is the only version x/crypto computes (0x13).
const argon2Version = 19

var phcB64 = base64.RawStdEncoding.Strict()

// String is the PHC string.
func (h PasswordHash) String() string {
	return "$argon2id$v=" + strconv.Itoa(argon2Version) +
		"$m=" + strconv.FormatUint(uint64(h.Memory), 10) +
		",t=" + strconv.FormatUint(uint64(h.Time), 10) +
		",p=" + strconv.FormatUint(uint64(h.Threads), 10) +
		"$" + phcB64.EncodeToString(h.Salt) + "$" + phcB64.EncodeToString(h.Key)
}

// ParsePasswordHash reads an argon2id PHC string. It accepts exactly what
// String writes (parameters in the order m, t, p; no optional fields) and
// fails with CodeInvalid for anything else, including parameters outside
// the bounds above. The error never quotes the input: it is a hash.
func ParsePasswordHash(s string) (PasswordHash, error) {
	bad := func(why string) (PasswordHash, error) {
		return PasswordHash{}, Errorf(CodeInvalid, "not an argon2id password hash: %s", why)
	}
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return bad("want $argon2id$v=19$m=..,t=..,p=..$salt$hash")
	}
	if parts[2] != "v="+strconv.Itoa(argon2Version) {
		return bad("unsupported version")
	}
	params := strings.Split(parts[3], ",")
	if len(params) != 3 {
		return bad("want parameters m, t and p")
	}
	var vals [3]uint64
	for i, name := range []string{"m=", "t=", "p="} {
		v, ok := strings.CutPrefix(params[i], name)
		if !ok || v == "" || len(v) > 1 && v[0] == '0' {
			return bad("want parameters m, t and p")
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return bad("parameter out of range")
		}
		vals[i] = n
	}
	h := PasswordHash{Memory: uint32(vals[0]), Time: uint32(vals[1])}
	switch {
	case vals[2] < 1 || vals[2] > 255:
		return bad("p out of range")
	case h.Time < 1 || h.Time > PasswordMaxTime:
		return bad("t out of range")
	case uint64(h.Memory) < 8*vals[2] || h.Memory > PasswordMaxMemory:
		return bad("m out of range")
	}
	h.Threads = uint8(vals[2])
	var err error
	if h.Salt, err = phcB64.DecodeString(parts[4]); err != nil || len(h.Salt) < passwordMinSalt || len(h.Salt) > passwordMaxSalt {
		return bad("bad salt")
	}
	if h.Key, err = phcB64.DecodeString(parts[5]); err != nil || len(h.Key) < passwordMinKey || len(h.Key) > passwordMaxKey {
		return bad("bad hash")
	}
	return h, nil
}

// ValidatePassword checks a new password: at least 8 characters (RFC 9106
// says nothing on this; NIST SP 800-63B asks for 8) and at most 1024 bytes,
// so hashing is never handed megabytes. CodeInvalid.
func ValidatePassword(pw string) error {
	switch {
	case len([]rune(pw)) < 8:
		return Errorf(CodeInvalid, "a password needs at least 8 characters")
	case len(pw) > 1024:
		return Errorf(CodeInvalid, "a password is at most 1024 bytes")
	}
	return nil
}
