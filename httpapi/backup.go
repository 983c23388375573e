package httpapi

import (
	"io"
	"net/http"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
)

// backupRate caps how fast a backup is streamed (bytes per second): a copy
// going as fast as loopback allows takes a core from the requests being
// served. 1 GiB takes 8 s at this rate.
const backupRate = 128 << 20

// backupHandler is GET /api/v1/admin/backup: a consistent copy of the whole
// data file (bbolt's Tx.WriteTo inside one read transaction), streamed as
// application/octet-stream while the server goes on serving and appending.
// The copy is a complete bbolt file: `warren serve --data` on a directory
// holding it as warren.db works, and `warren events verify` passes on it.
func (s *Server) backupHandler(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.view(func(tx *bolt.Tx) error {
		h := w.Header()
		h.Set("Content-Type", "application/octet-stream")
		h.Set("Content-Disposition", `attachment; filename="warren-backup.db"`)
		h.Set("Content-Length", strconv.FormatInt(tx.Size(), 10))
		h.Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
		// Once the header is out an error can only cut the body short,
		// which the client sees as fewer bytes than Content-Length.
		if _, err := tx.WriteTo(&pacedWriter{w: w, rate: backupRate, start: time.Now()}); err != nil {
			s.logger.Warn("httpapi: backup cut short", "err", err)
		}
		return nil
	})
}

// pacedWriter sleeps whenever the bytes written run ahead of rate.
type pacedWriter struct {
	w     io.Writer
	rate  int64
	start time.Time
	n     int64
}

func (p *pacedWriter) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	p.n += int64(n)
	if ahead := time.Duration(float64(p.n)/float64(p.rate)*float64(time.Second)) - time.Since(p.start); ahead > time.Millisecond {
		time.Sleep(ahead)
	}
	return n, err
}
