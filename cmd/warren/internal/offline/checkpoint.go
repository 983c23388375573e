package offline

import (
	"crypto/ed25519"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"

	"warren/cmd/warren/internal/command"
	"warren/cmd/warren/internal/server"
	"warren/domain"
	"warren/events"
)

// checkpointFlags are `events verify`'s checkpoint options.
type checkpointFlags struct {
	checkpoint *string
	keyFile    *string
	publicKey  *bool
	domain     *string
}

// addCheckpointFlags registers --checkpoint, --public-key-file, --public-key
// and --domain on `events verify`.
func addCheckpointFlags(e *command.Env, fs *flag.FlagSet) *checkpointFlags {
	return &checkpointFlags{
		checkpoint: fs.String("checkpoint", "", "verify that the log still holds this signed checkpoint's events unchanged (a file from GET /api/v1/checkpoint)"),
		keyFile:    fs.String("public-key-file", "", "the pinned public key to check the checkpoint's signature with (default: the key in --data)"),
		publicKey:  fs.Bool("public-key", false, "print the server's checkpoint public key, to pin, and exit"),
		domain:     command.DomainFlag(e, fs),
	}
}

// run handles the checkpoint modes; handled=false means a plain verify.
func (f *checkpointFlags) run(e *command.Env, data string) (handled bool, err error) {
	switch {
	case *f.publicKey:
		return true, printPublicKey(e, data, *f.domain)
	case *f.checkpoint != "":
		return true, verifyCheckpointFile(e, data, *f.checkpoint, *f.keyFile)
	}
	return false, nil
}

// printPublicKey prints the verifier key "<domain>+<hash>+<base64 key>"
// that `events verify --checkpoint --public-key-file` and note verifiers take.
func printPublicKey(e *command.Env, data, origin string) error {
	s, err := events.LoadSigner(data)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("no checkpoint key in %s: `warren serve` creates it at its first start", data)
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(e.Stdout, events.VerifierKey(origin, s.Public()))
	return nil
}

// verifyCheckpointFile checks the checkpoint's signature against the pinned
// key (or the data directory's) and the log's prefix against its hash,
// offline. Any failure exits 1, naming the first event found to differ.
func verifyCheckpointFile(e *command.Env, data, file, keyFile string) error {
	text, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var pub ed25519.PublicKey
	if keyFile != "" {
		b, err := os.ReadFile(keyFile)
		if err != nil {
			return err
		}
		if pub, err = events.ParsePublicKey(string(b)); err != nil {
			return &command.ExitError{Code: 2, Err: fmt.Errorf("%s: %s", keyFile, domain.ErrorMessage(err))}
		}
	} else {
		s, err := events.LoadSigner(data)
		if err != nil {
			return fmt.Errorf("no key to check the signature with (pass --public-key-file): %w", err)
		}
		pub = s.Public()
	}
	if err := requireLog(data, false); err != nil {
		return err
	}
	l, err := server.OpenLog(data, server.OpenOptions{ReadOnly: true}, events.Options{})
	if err != nil {
		return err
	}
	defer l.Close()
	var bar *progressBar
	if cp, err := events.ParseCheckpoint(string(text), pub); err == nil && isTerminal(e.Stderr) {
		bar = newProgressBar(e.Stderr, "verifying", cp.Size)
	}
	c, err := events.VerifyCheckpoint(l, string(text), pub, func(n uint64) { bar.set(n) })
	bar.done()
	var ve *events.VerifyError
	switch {
	case errors.As(err, &ve):
		fmt.Fprintf(e.Stdout, "BROKEN at event #%d %s: %s\n", ve.Index, ve.ID, ve.Reason)
		return &command.ExitError{Code: 1, Err: fmt.Errorf("the log no longer holds checkpoint %s/%d: event #%d %s: %s",
			c.Origin, c.Size, ve.Index, ve.ID, ve.Reason)}
	case err != nil:
		fmt.Fprintf(e.Stdout, "REFUSED: %s\n", domain.ErrorMessage(err))
		return &command.ExitError{Code: 1, Err: fmt.Errorf("checkpoint refused: %s", domain.ErrorMessage(err))}
	}
	head, err := l.Head()
	if err != nil {
		return err
	}
	fmt.Fprintf(e.Stdout, "ok: checkpoint %s of %d events verified; the log holds them unchanged (%d events now)\n",
		c.Origin, c.Size, head.Count)
	return nil
}
