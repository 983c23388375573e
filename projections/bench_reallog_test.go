package projections_test

import (
	"os"
	"path/filepath"
	"testing"

	"warren/events"
	"warren/projections"
)

// BenchmarkRebuild_RealLog rebuilds the projections of the log in
// WARREN_BENCH_LOG_DIR (built by cmd/warren's BenchmarkLog_VerifyRebuild
// from captures made through the real edge) in this process, so that
// -cpuprofile and -memprofile see Rebuild alone. Rebuild replaces what it
// drops, so the directory stays usable.
func BenchmarkRebuild_RealLog(b *testing.B) {
	dir := os.Getenv("WARREN_BENCH_LOG_DIR")
	if dir == "" {
		b.Skip("set WARREN_BENCH_LOG_DIR to a data directory of captures (see cmd/warren's BenchmarkLog_VerifyRebuild)")
	}
	l, err := events.Open(filepath.Join(dir, "warren.db"), events.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	b.ResetTimer()
	var n uint64
	for range b.N {
		done, err := projections.Rebuild(l.DB(), nil)
		if err != nil {
			b.Fatal(err)
		}
		n += done
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}
