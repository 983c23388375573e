package offline

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"warren/cmd/warren/internal/cli"
	"warren/cmd/warren/internal/command"
	"warren/cmd/warren/internal/server"
	"warren/events"
)

// backupServerFlags are `warren backup`'s online mode: --server (and --key).
type backupServerFlags struct {
	server *string
	key    *string
}

// addBackupServerFlags registers --server and --key on `warren backup`.
func addBackupServerFlags(fs *flag.FlagSet) *backupServerFlags {
	return &backupServerFlags{
		server: fs.String("server", "", "take the copy from a running server (GET /api/v1/admin/backup) instead of --data"),
		key:    fs.String("key", "", "operator API key for --server (default: WARREN_API_KEY or the logged-in key)"),
	}
}

// run takes an online backup when --server is set; handled=false means the
// offline mode.
func (f *backupServerFlags) run(ctx context.Context, e *command.Env, out string) (handled bool, err error) {
	if *f.server == "" {
		return false, nil
	}
	return true, onlineBackup(ctx, e, *f.server, *f.key, out)
}

// operatorKey is the key a --server command uses: --key, else
// WARREN_API_KEY or the logged-in key (a usage error when there is none).
func operatorKey(e *command.Env, key string) (string, error) {
	if key != "" {
		return key, nil
	}
	cfg, err := cli.ResolveConfig(e)
	if err != nil {
		return "", err
	}
	if cfg.Key == "" {
		return "", &command.ExitError{Code: 2, Err: errors.New("--server needs an operator key: --key, WARREN_API_KEY or `warren login`")}
	}
	return cfg.Key, nil
}

// onlineBackup streams the server's consistent copy into a temp file beside
// out, verifies its hash chain, then renames it over out: out is either the
// old copy or a complete, verified new one.
func onlineBackup(ctx context.Context, e *command.Env, server, key, out string) (err error) {
	if key, err = operatorKey(e, key); err != nil {
		return err
	}
	resp, err := cli.GetWithKey(ctx, e, server, key, "/api/v1/admin/backup", true)
	if err != nil {
		return cli.APIError(err)
	}
	defer resp.Body.Close()
	tmp, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".*.tmp")
	if err != nil {
		return fmt.Errorf("creating the backup: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	n, err := io.Copy(tmp, resp.Body)
	if err != nil {
		return fmt.Errorf("downloading the backup: %w", err)
	}
	if resp.ContentLength >= 0 && n != resp.ContentLength {
		return fmt.Errorf("the backup was cut short: %d of %d bytes", n, resp.ContentLength)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("syncing the backup: %w", err)
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Chmod(tmp.Name(), 0o600); err != nil {
		return err
	}
	head, err := verifyCopy(tmp.Name())
	if err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), out); err != nil {
		return fmt.Errorf("moving the backup into place: %w", err)
	}
	fmt.Fprintf(e.Stdout, "wrote %s: %d bytes, %d events verified, head %s\n", out, n, head.Count, head.HashHex())
	line, err := onlineBackupSecrets(ctx, e, server, key, out) // backup_secrets.go
	if err != nil {
		return fmt.Errorf("copying the sealed webhook secrets: %w", err)
	}
	if line != "" {
		fmt.Fprintln(e.Stdout, line)
	}
	return nil
}

// verifyCopy opens a downloaded copy read-only and walks its hash chain.
func verifyCopy(path string) (events.Head, error) {
	l, err := events.Open(path, events.Options{ReadOnly: true, Timeout: server.LockTimeout})
	if err != nil {
		return events.Head{}, fmt.Errorf("the backup does not open: %w", err)
	}
	defer l.Close()
	head, err := l.Verify(nil)
	if err != nil {
		return head, fmt.Errorf("the backup does not verify: %w", err)
	}
	return head, nil
}
