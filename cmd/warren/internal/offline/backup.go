package offline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"warren/cmd/warren/internal/command"
	"warren/cmd/warren/internal/server"
	"warren/events"
)

// RunBackup is `warren backup --out FILE`: a consistent copy of the whole
// data file (bbolt Tx.WriteTo) written beside FILE, synced, then renamed
// over it, so FILE is either the old copy or a complete new one.
func RunBackup(ctx context.Context, e *command.Env, args []string) error {
	fs := command.NewFlagSet(e, "backup", "backup --out FILE [--data DIR | --server URL [--key KEY]]")
	data := command.DataFlag(e, fs)
	out := fs.String("out", "", "where to write the copy (required)")
	online := addBackupServerFlags(fs) // backup_online.go
	if err := command.ParseFlags(fs, args); err != nil {
		return err
	}
	if *out == "" {
		fs.Usage()
		return &command.ExitError{Code: 2, Err: fmt.Errorf("--out is required")}
	}
	if handled, err := online.run(ctx, e, *out); handled {
		return err
	}
	if err := requireLog(*data, true); err != nil {
		return err
	}
	l, err := server.OpenLog(*data, server.OpenOptions{ReadOnly: true}, events.Options{})
	if err != nil {
		return err
	}
	defer l.Close()
	head, err := l.Head()
	if err != nil {
		return err
	}
	n, err := writeBackup(l, *out)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.Stdout, "wrote %s: %d bytes, %d events, head %s\n", *out, n, head.Count, head.HashHex())
	line, err := backupSecrets(*data, *out) // backup_secrets.go
	if err != nil {
		return fmt.Errorf("copying the sealed webhook secrets: %w", err)
	}
	if line != "" {
		fmt.Fprintln(e.Stdout, line)
	}
	return nil
}

func writeBackup(l *events.Log, out string) (n int64, err error) {
	tmp, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".*.tmp")
	if err != nil {
		return 0, fmt.Errorf("creating the backup: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if n, err = l.Backup(tmp); err != nil {
		return 0, fmt.Errorf("writing the backup: %w", err)
	}
	if err = tmp.Sync(); err != nil {
		return 0, fmt.Errorf("syncing the backup: %w", err)
	}
	if err = tmp.Close(); err != nil {
		return 0, err
	}
	if err = os.Chmod(tmp.Name(), 0o600); err != nil {
		return 0, err
	}
	if err = os.Rename(tmp.Name(), out); err != nil {
		return 0, fmt.Errorf("moving the backup into place: %w", err)
	}
	return n, nil
}
