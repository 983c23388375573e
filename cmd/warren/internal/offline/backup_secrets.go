package offline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"

	"warren/cmd/warren/internal/cli"
	"warren/cmd/warren/internal/command"
	"warren/cmd/warren/internal/server"
	"warren/httpapi/client"
)

// The sealed store of webhook signing secrets (issue 17) lives beside the
// log, not in it, so a backup of the log alone would lose the verifiers'
// secrets. `warren backup` copies the sealed file beside the backup as
// <out>.secrets.sealed, and says so. It never copies the key
// (secrets.key): a backup that held both would hold the secrets in effect
// in the clear. Keep the key apart (a password manager, another medium).

// backupSecrets copies <data>/secrets.sealed to <out>.secrets.sealed
// (atomically, 0600) and returns a line saying what it did; "" and nil
// when the data directory has no sealed store.
func backupSecrets(data, out string) (string, error) {
	src, err := os.Open(filepath.Join(data, server.SecretsFile))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	defer src.Close()
	dst := out + "." + server.SecretsFile
	if err := writeSealedCopy(src, dst); err != nil {
		return "", err
	}
	return fmt.Sprintf("wrote %s: the sealed webhook secrets; their key %s is NOT in the backup, keep a copy of it apart (without it the secrets are lost)",
		dst, filepath.Join(data, server.SecretsKeyFile)), nil
}

// onlineBackupSecrets is backupSecrets for `warren backup --server`: it
// fetches the sealed store (GET /api/v1/admin/backup/secrets) into
// <out>.secrets.sealed. "" and nil when the server has none (404).
func onlineBackupSecrets(ctx context.Context, e *command.Env, srv, key, out string) (string, error) {
	resp, err := cli.GetWithKey(ctx, e, srv, key, "/api/v1/admin/backup/secrets", true)
	var ae *client.Error
	if errors.As(err, &ae) && ae.Status == http.StatusNotFound {
		return "", nil
	}
	if err != nil {
		return "", cli.APIError(err)
	}
	defer resp.Body.Close()
	dst := out + "." + server.SecretsFile
	if err := writeSealedCopy(resp.Body, dst); err != nil {
		return "", err
	}
	return fmt.Sprintf("wrote %s: the sealed webhook secrets; their key (secrets.key in the server's data directory) is NOT in the backup, keep a copy of it apart (without it the secrets are lost)", dst), nil
}

// writeSealedCopy writes r to dst atomically (temp file, sync, 0600, rename).
func writeSealedCopy(r io.Reader, dst string) error {
	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // a no-op after the rename
	if _, err := io.Copy(tmp, r); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dst)
}
