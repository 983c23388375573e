package events_test

import (
	"os"
	"path/filepath"
	"testing"

	"warren/events"
)

// benchLogDirEnv names a data directory built by cmd/warren's
// BenchmarkLog_VerifyRebuild (captures made through the real edge).
const benchLogDirEnv = "WARREN_BENCH_LOG_DIR"

// BenchmarkVerify_RealLog verifies the log in WARREN_BENCH_LOG_DIR in this
// process, so that -cpuprofile and -memprofile see Verify alone.
func BenchmarkVerify_RealLog(b *testing.B) {
	dir := os.Getenv(benchLogDirEnv)
	if dir == "" {
		b.Skipf("set %s to a data directory of captures (see cmd/warren's BenchmarkLog_VerifyRebuild)", benchLogDirEnv)
	}
	l, err := events.Open(filepath.Join(dir, "warren.db"), events.Options{ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	b.ResetTimer()
	var n uint64
	for range b.N {
		h, err := l.Verify(nil)
		if err != nil {
			b.Fatal(err)
		}
		n += h.Count
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}
