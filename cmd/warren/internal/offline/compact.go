package offline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"

	"warren/cmd/warren/internal/command"
	"warren/cmd/warren/internal/server"
)

// RunCompact is `warren compact`: rewrites the data file without its free
// pages (pruned bodies, rebuilt projections), offline. The copy is written
// beside the file, synced, then renamed over it, so a crash leaves either
// the old file or the complete new one.
func RunCompact(ctx context.Context, e *command.Env, args []string) error {
	fs := command.NewFlagSet(e, "compact", "compact [--data DIR]")
	data := command.DataFlag(e, fs)
	if err := command.ParseFlags(fs, args); err != nil {
		return err
	}
	if err := requireLog(*data, false); err != nil {
		return err
	}
	path := server.DBPath(*data)
	before, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("no event log at %s (wrong --data?)", path)
	}
	src, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: server.LockTimeout}) // exclusive: no writer may slip in before the rename
	if errors.Is(err, bolt.ErrTimeout) {
		return fmt.Errorf("%s is in use by another process (is a warren server running on it?)", path)
	}
	if err != nil {
		return err
	}
	defer src.Close()
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".compact")
	os.Remove(tmp)
	dst, err := bolt.Open(tmp, 0o600, &bolt.Options{Timeout: server.LockTimeout})
	if err != nil {
		return err
	}
	// 64 MiB per transaction bounds the memory the copy holds.
	if err := bolt.Compact(dst, src, 64<<20); err != nil {
		dst.Close()
		os.Remove(tmp)
		return fmt.Errorf("compacting: %w", err)
	}
	if err := dst.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	after, err := os.Stat(path)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.Stdout, "compacted %s: %d → %d bytes\n", path, before.Size(), after.Size())
	return nil
}
