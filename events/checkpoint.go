package events

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"warren/domain"
)

// CheckpointKeyFile is the signer's private key inside the data directory.
const CheckpointKeyFile = "checkpoint.key"

// algEd25519 is the signed-note algorithm byte for Ed25519 keys.
const algEd25519 = 0x01

// Checkpoint is a signed statement of the log's head: the first Size events
// hash-chain to Hash. The text form follows the signed-note / tlog-checkpoint
// layout (origin, size, base64 hash, blank line, "— name sig" lines), so
// generic note verifiers can check the signature too.
type Checkpoint struct {
	Origin string   // the server's base domain; also the signing key's name
	Size   uint64   // number of events covered
	Hash   [32]byte // SHA-256 of the Size-th stored event (zero when Size is 0)
}

// Body is the signed text: three lines, each ending in a newline.
func (c Checkpoint) Body() string {
	return fmt.Sprintf("%s\n%d\n%s\n", c.Origin, c.Size, base64.StdEncoding.EncodeToString(c.Hash[:]))
}

// Signer holds the server's checkpoint key.
type Signer struct {
	priv ed25519.PrivateKey
}

// NewSigner wraps an Ed25519 private key (tests use it with a fresh key).
func NewSigner(priv ed25519.PrivateKey) *Signer { return &Signer{priv: priv} }

// Public returns the key auditors pin.
func (s *Signer) Public() ed25519.PublicKey { return s.priv.Public().(ed25519.PublicKey) }

// LoadOrCreateSigner reads <dataDir>/checkpoint.key, creating it (0600, a
// fresh random key) when it does not exist yet.
func LoadOrCreateSigner(dataDir string) (*Signer, error) {
	path := filepath.Join(dataDir, CheckpointKeyFile)
	s, err := LoadSigner(dataDir)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return s, err
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("checkpoint key: %w", err)
	}
	// Written whole to a temporary file, then linked into place: link fails
	// if the key exists, so two processes starting at once agree on one key
	// and neither can read a half-written file.
	tmp, err := os.CreateTemp(dataDir, "."+CheckpointKeyFile+".*.tmp")
	if err != nil {
		return nil, fmt.Errorf("checkpoint key: %w", err)
	}
	defer os.Remove(tmp.Name())
	line := "warren-checkpoint-ed25519 " + base64.StdEncoding.EncodeToString(priv.Seed()) + "\n"
	_, err = tmp.WriteString(line)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("checkpoint key: %w", err)
	}
	if err := os.Link(tmp.Name(), path); errors.Is(err, fs.ErrExist) {
		return LoadSigner(dataDir)
	} else if err != nil {
		return nil, fmt.Errorf("checkpoint key: %w", err)
	}
	return &Signer{priv: priv}, nil
}

// LoadSigner reads an existing <dataDir>/checkpoint.key; a missing file is
// an error satisfying errors.Is(err, fs.ErrNotExist).
func LoadSigner(dataDir string) (*Signer, error) {
	path := filepath.Join(dataDir, CheckpointKeyFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("checkpoint key: %w", err)
	}
	f := strings.Fields(string(b))
	if len(f) != 2 || f[0] != "warren-checkpoint-ed25519" {
		return nil, fmt.Errorf("checkpoint key %s: unrecognised format", path)
	}
	seed, err := base64.StdEncoding.DecodeString(f[1])
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("checkpoint key %s: bad seed", path)
	}
	return &Signer{priv: ed25519.NewKeyFromSeed(seed)}, nil
}

// keyHash is the signed-note key id: the first 4 bytes of
// SHA-256(name + "\n" + alg + public key).
func keyHash(name string, pub ed25519.PublicKey) uint32 {
	h := sha256.New()
	h.Write([]byte(name + "\n"))
	h.Write([]byte{algEd25519})
	h.Write(pub)
	return binary.BigEndian.Uint32(h.Sum(nil)[:4])
}

// VerifierKey renders pub in the signed-note verifier format
// "<name>+<hex key hash>+<base64(0x01 || key)>", the form `warren events
// verify --public-key` prints for auditors to pin.
func VerifierKey(name string, pub ed25519.PublicKey) string {
	return fmt.Sprintf("%s+%08x+%s", name, keyHash(name, pub),
		base64.StdEncoding.EncodeToString(append([]byte{algEd25519}, pub...)))
}

// ParsePublicKey reads a pinned key: a signed-note verifier key (as printed
// by VerifierKey) or a bare base64 Ed25519 public key. Errors are invalid.
func ParsePublicKey(s string) (ed25519.PublicKey, error) {
	s = strings.TrimSpace(s)
	if b, err := base64.StdEncoding.DecodeString(s); err == nil && len(b) == ed25519.PublicKeySize {
		return ed25519.PublicKey(b), nil
	}
	// Names cannot hold '+' (checkOrigin), but base64 can: split at most twice.
	parts := strings.SplitN(s, "+", 3)
	if len(parts) != 3 {
		return nil, domain.Errorf(domain.CodeInvalid, "public key: want name+hash+key or a base64 Ed25519 key")
	}
	b, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(b) != ed25519.PublicKeySize+1 || b[0] != algEd25519 {
		return nil, domain.Errorf(domain.CodeInvalid, "public key: not a base64 Ed25519 verifier key")
	}
	pub := ed25519.PublicKey(b[1:])
	if fmt.Sprintf("%08x", keyHash(parts[0], pub)) != parts[1] {
		return nil, domain.Errorf(domain.CodeInvalid, "public key: key hash does not match name and key")
	}
	return pub, nil
}

// Sign renders c as a signed note.
func (s *Signer) Sign(c Checkpoint) string {
	body := c.Body()
	sig := ed25519.Sign(s.priv, []byte(body))
	blob := binary.BigEndian.AppendUint32(nil, keyHash(c.Origin, s.Public()))
	blob = append(blob, sig...)
	return body + "\n— " + c.Origin + " " + base64.StdEncoding.EncodeToString(blob) + "\n"
}

// Checkpoint signs the log's current head under origin (the base domain).
func (l *Log) Checkpoint(s *Signer, origin string) (string, error) {
	if err := checkOrigin(origin); err != nil {
		return "", err
	}
	h, err := l.Head()
	if err != nil {
		return "", err
	}
	return s.Sign(Checkpoint{Origin: origin, Size: h.Count, Hash: h.Hash}), nil
}

func checkOrigin(origin string) error {
	if origin == "" || strings.ContainsAny(origin, " \t\n+") {
		return domain.Errorf(domain.CodeInvalid, "checkpoint origin %q: must be non-empty without spaces, newlines or '+'", origin)
	}
	return nil
}

// ParseCheckpoint checks text's signature against pub and returns what it
// states. A malformed text is invalid; a text with no valid signature by
// pub is forbidden ("signed by another key").
func ParseCheckpoint(text string, pub ed25519.PublicKey) (Checkpoint, error) {
	var c Checkpoint
	body, sigs, ok := strings.Cut(text, "\n\n")
	if !ok {
		return c, domain.Errorf(domain.CodeInvalid, "checkpoint: no blank line before the signatures")
	}
	body += "\n"
	lines := strings.Split(strings.TrimSuffix(body, "\n"), "\n")
	if len(lines) < 3 {
		return c, domain.Errorf(domain.CodeInvalid, "checkpoint: want origin, size and hash lines, got %d lines", len(lines))
	}
	c.Origin = lines[0]
	if err := checkOrigin(c.Origin); err != nil {
		return c, err
	}
	size, err := strconv.ParseUint(lines[1], 10, 64)
	if err != nil || lines[1] != strconv.FormatUint(size, 10) {
		return c, domain.Errorf(domain.CodeInvalid, "checkpoint: size line %q is not a decimal count", lines[1])
	}
	c.Size = size
	hash, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(hash) != 32 {
		return c, domain.Errorf(domain.CodeInvalid, "checkpoint: hash line is not a base64 SHA-256")
	}
	copy(c.Hash[:], hash)
	want := keyHash(c.Origin, pub)
	for _, line := range strings.Split(strings.TrimSuffix(sigs, "\n"), "\n") {
		rest, ok := strings.CutPrefix(line, "— ")
		if !ok {
			return c, domain.Errorf(domain.CodeInvalid, "checkpoint: signature line %q does not start with an em dash", line)
		}
		name, enc, ok := strings.Cut(rest, " ")
		if !ok || name != c.Origin {
			continue // another signer's cosignature: not ours to check
		}
		blob, err := base64.StdEncoding.DecodeString(enc)
		if err != nil || len(blob) != 4+ed25519.SignatureSize {
			return c, domain.Errorf(domain.CodeInvalid, "checkpoint: malformed signature")
		}
		if binary.BigEndian.Uint32(blob) != want {
			continue
		}
		if ed25519.Verify(pub, []byte(body), blob[4:]) {
			return c, nil
		}
		return c, domain.Errorf(domain.CodeForbidden, "checkpoint: signature does not verify: the text was altered")
	}
	return c, domain.Errorf(domain.CodeForbidden, "checkpoint: not signed by the pinned key (%s)", VerifierKey(c.Origin, pub))
}

// VerifyCheckpoint proves the log still holds, unchanged, the prefix text
// (a checkpoint signed with pub) commits to. It returns the checkpoint; a
// bad signature is a *domain.Error (forbidden), a changed prefix a
// *VerifyError naming the first event found to differ. progress is as for
// Verify.
func VerifyCheckpoint(l *Log, text string, pub ed25519.PublicKey, progress func(n uint64)) (Checkpoint, error) {
	c, err := ParseCheckpoint(text, pub)
	if err != nil {
		return c, err
	}
	if c.Size == 0 {
		return c, nil // the empty prefix: every log holds it
	}
	h, err := l.VerifyPrefix(c.Size, progress)
	if err != nil {
		return c, err
	}
	if !bytes.Equal(h.Hash[:], c.Hash[:]) {
		// The chain is consistent but ends elsewhere: the prefix was
		// rewritten and re-chained, or its last event changed. The chain
		// alone cannot tell which earlier event changed first, so name the
		// last one, which certainly differs.
		return c, &VerifyError{Index: c.Size - 1, ID: h.ID.String(),
			Reason: "its hash differs from the checkpoint's: this event, or the chain up to it, was rewritten"}
	}
	return c, nil
}
