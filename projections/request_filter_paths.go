package projections

import (
	"bytes"

	"github.com/oklog/ulid/v2"
	bolt "go.etcd.io/bbolt"
)

// filterTunnelByPath is RequestsFiltered for one tunnel with a path filter:
// it reads the tunnel's path column (request_paths.go) newest first, skips
// a chunk that does not hold the substring anywhere as a whole, and reads
// the summary of a request only when its path matches. Scanned requests,
// the bound and ScanBefore count as RequestsFiltered's do.
func filterTunnelByPath(tx *bolt.Tx, accountID, tunnel string, before ulid.ULID, limit int, f *RequestFilter, maxScan int) (RequestPage, error) {
	var page RequestPage
	prefix := tunnelPrefix(accountID, tunnel)
	c := tx.Bucket(bRequestPaths).Cursor()
	var k, v []byte
	if before == (ulid.ULID{}) {
		k, v = lastChunk(c, prefix)
	} else {
		// The chunk holding before: the last one whose first id is ≤ it.
		seek := append(append([]byte(nil), prefix...), before[:]...)
		if k, v = c.Seek(seek); k == nil || !bytes.Equal(k, seek) {
			if k == nil {
				k, v = c.Last()
			} else {
				k, v = c.Prev()
			}
		}
	}
	reqs := tx.Bucket(bRequests)
	needle := []byte(f.PathContains)
	acc := []byte(accountID)
	scanned := 0
	var recs []pathRecord
	var s summaryFields
	// Only the first chunk can hold ids at or after before; older ones
	// are skipped whole when the substring is not in them.
	first := true
	for ; k != nil && len(k) == len(prefix)+16 && bytes.HasPrefix(k, prefix); k, v = c.Prev() {
		n := chunkCount(v)
		holdsBefore := first && before != (ulid.ULID{})
		first = false
		if !holdsBefore && scanned+n < maxScan && !chunkHolds(v[min(len(v), pathChunkHead):], needle) {
			scanned += n
			copy(page.ScanBefore[:], k[len(prefix):])
			continue
		}
		var err error
		if recs, err = chunkRecords(v, recs); err != nil {
			return page, err
		}
		for i := len(recs) - 1; i >= 0; i-- {
			r := recs[i]
			if holdsBefore && bytes.Compare(r.id, before[:]) >= 0 {
				continue
			}
			scanned++
			copy(page.ScanBefore[:], r.id)
			if containsString(r.path, f.PathContains) {
				sv := reqs.Get(key(acc, r.id))
				if err := s.read(sv); err != nil {
					return page, err
				}
				if f.match(&s) {
					req, err := decodeSummary(sv)
					if err != nil {
						return page, err
					}
					page.Requests = append(page.Requests, req)
					if len(page.Requests) == limit {
						page.ScanBefore = ulid.ULID{}
						return page, nil
					}
				}
			}
			if scanned == maxScan {
				page.ScanLimited = true
				return page, nil
			}
		}
	}
	page.ScanBefore = ulid.ULID{}
	return page, nil
}
