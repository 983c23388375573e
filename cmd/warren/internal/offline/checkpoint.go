package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"sync"
	"time"

	"warren/domain"
	"warren/events"
)

// checkpointEvery is how often serve signs a checkpoint of the log.
const checkpointEvery = time.Hour

// checkpoints signs the log's head at start and then every interval, and
// keeps the latest signed text in memory, until stopped.
type checkpoints struct {
	cancel context.CancelFunc
	done   sync.WaitGroup
	mu     sync.Mutex
	latest string
}

// startCheckpoints creates the data directory's checkpoint key on the first
// start (0600) and starts the signer. A key that cannot be made or read stops
// the server from starting: checkpoints are its tamper evidence.
func startCheckpoints(l *events.Log, data, origin string, logger *slog.Logger, every time.Duration) (*checkpoints, error) {
	signer, err := events.LoadOrCreateSigner(data)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &checkpoints{cancel: cancel}
	c.done.Add(1)
	go func() {
		defer c.done.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			text, err := l.Checkpoint(signer, origin)
			if err != nil {
				logger.Error("signing a checkpoint failed", "err", err)
			} else {
				c.mu.Lock()
				c.latest = text
				c.mu.Unlock()
				logger.Debug("checkpoint signed", "checkpoint", text)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return c, nil
}

// Latest is the last checkpoint signed ("" before the first).
func (c *checkpoints) Latest() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.latest
}

// stop ends the signer and waits for it, before the log closes.
func (c *checkpoints) stop() {
	if c != nil {
		c.cancel()
		c.done.Wait()
	}
}

// checkpointFlags are `events verify`'s checkpoint options.
type checkpointFlags struct {
	checkpoint *string
	keyFile    *string
	publicKey  *bool
	domain     *string
}

// addCheckpointFlags registers --checkpoint, --public-key-file, --public-key
// and --domain on `events verify`.
func addCheckpointFlags(e *env, fs *flag.FlagSet) *checkpointFlags {
	return &checkpointFlags{
		checkpoint: fs.String("checkpoint", "", "verify that the log still holds this signed checkpoint's events unchanged (a file from GET /api/v1/checkpoint)"),
		keyFile:    fs.String("public-key-file", "", "the pinned public key to check the checkpoint's signature with (default: the key in --data)"),
		publicKey:  fs.Bool("public-key", false, "print the server's checkpoint public key, to pin, and exit"),
		domain:     domainFlag(e, fs),
	}
}

// run handles the checkpoint modes; handled=false means a plain verify.
func (f *checkpointFlags) run(e *env, data string) (handled bool, err error) {
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
func printPublicKey(e *env, data, origin string) error {
	s, err := events.LoadSigner(data)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("no checkpoint key in %s: `warren serve` creates it at its first start", data)
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, events.VerifierKey(origin, s.Public()))
	return nil
}

// verifyCheckpointFile checks the checkpoint's signature against the pinned
// key (or the data directory's) and the log's prefix against its hash,
// offline. Any failure exits 1, naming the first event found to differ.
func verifyCheckpointFile(e *env, data, file, keyFile string) error {
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
			return &exitError{code: 2, err: fmt.Errorf("%s: %s", keyFile, domain.ErrorMessage(err))}
		}
	} else {
		s, err := events.LoadSigner(data)
		if err != nil {
			return fmt.Errorf("no key to check the signature with (pass --public-key-file): %w", err)
		}
		pub = s.Public()
	}
	l, err := openLog(data, openOptions{readOnly: true}, events.Options{})
	if err != nil {
		return err
	}
	defer l.Close()
	var bar *progressBar
	if cp, err := events.ParseCheckpoint(string(text), pub); err == nil && isTerminal(e.stderr) {
		bar = newProgressBar(e.stderr, "verifying", cp.Size)
	}
	c, err := events.VerifyCheckpoint(l, string(text), pub, func(n uint64) { bar.set(n) })
	bar.done()
	var ve *events.VerifyError
	switch {
	case errors.As(err, &ve):
		fmt.Fprintf(e.stdout, "BROKEN at event #%d %s: %s\n", ve.Index, ve.ID, ve.Reason)
		return &exitError{code: 1, err: fmt.Errorf("the log no longer holds checkpoint %s/%d: event #%d %s: %s",
			c.Origin, c.Size, ve.Index, ve.ID, ve.Reason)}
	case err != nil:
		fmt.Fprintf(e.stdout, "REFUSED: %s\n", domain.ErrorMessage(err))
		return &exitError{code: 1, err: fmt.Errorf("checkpoint refused: %s", domain.ErrorMessage(err))}
	}
	head, err := l.Head()
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "ok: checkpoint %s of %d events verified; the log holds them unchanged (%d events now)\n",
		c.Origin, c.Size, head.Count)
	return nil
}
