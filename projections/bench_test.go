package projections

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/events"
)

const rebuildChildEnv = "WARREN_PROJECTIONS_REBUILD_CHILD"

// rebuildChild rebuilds the file at path and prints events, seconds and the
// process's peak RSS, so the benchmark measures rebuild alone.
func rebuildChild(path string) {
	l, err := events.Open(path, events.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	if prof := os.Getenv("WARREN_REBUILD_CPUPROFILE"); prof != "" {
		f, _ := os.Create(prof)
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	var peakAnon atomic.Int64
	stop := make(chan struct{})
	go func() {
		for {
			if kb := statusKiB("RssAnon:"); kb > peakAnon.Load() {
				peakAnon.Store(kb)
			}
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	start := time.Now()
	n, err := Rebuild(l.DB(), nil)
	close(stop)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	secs := time.Since(start).Seconds()
	l.Close()
	fmt.Printf("%d %f %d %d\n", n, secs, statusKiB("VmHWM:"), peakAnon.Load())
}

// statusKiB reads one kB figure of /proc/self/status.
func statusKiB(field string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb
		}
	}
	return -1
}

// millionEvents builds, once per test process, a log of 1,000,000
// request.captured events over November 2026 (plus some tunnels and
// reservations) and returns its path and account id.
func millionEvents(b *testing.B) (string, string) {
	millionOnce.Do(func() {
		dir, err := os.MkdirTemp("", "warren-bench-")
		if err != nil {
			b.Fatal(err)
		}
		millionPath = filepath.Join(dir, "warren.db")
		l, err := events.Open(millionPath, events.Options{Applier: New()})
		if err != nil {
			b.Fatal(err)
		}
		defer l.Close()
		acc, _ := MustAccount(b, l, "bench@example.com", domain.PlanPro)
		millionAccount = acc
		ctx := context.Background()
		const total, batch = 1_000_000, 2000
		at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
		for i := 0; i < total; i += batch {
			drafts := make([]events.Draft, 0, batch)
			for j := 0; j < batch; j++ {
				drafts = append(drafts, captured(acc, fmt.Sprintf("tun-%d", j%10), at.Add(time.Duration(i+j)*2*time.Second), 512, 2048))
			}
			if _, err := l.Append(ctx, drafts...); err != nil {
				b.Fatal(err)
			}
			if i%100_000 == 0 {
				MustExec(b, l, Reserve(acc, fmt.Sprintf("res-%d", i)))
				MustExec(b, l, openHTTP(acc, ""))
			}
		}
	})
	return millionPath, millionAccount
}

var (
	millionOnce    sync.Once
	millionPath    string
	millionAccount string
)

// BenchmarkStatement1M computes one account-month statement over a month of
// 1,000,000 captured requests. Target: ≤ 100 ms (it reads rollups).
func BenchmarkStatement1M(b *testing.B) {
	path, acc := millionEvents(b)
	l, err := events.Open(path, events.Options{Applier: New()})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	month := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var st Statement
		if err := l.DB().View(func(tx *bolt.Tx) (err error) {
			st, err = MonthStatement(tx, acc, month, month.AddDate(0, 1, 1))
			return err
		}); err != nil {
			b.Fatal(err)
		}
		if st.Requests < 1_000_000 {
			b.Fatalf("statement counts %d requests", st.Requests)
		}
	}
}

// BenchmarkRebuild1M rebuilds a log of 1,000,000 events (captured requests
// with headers, tunnels, reservations, keys) in a child process and reports
// events/s and the child's peak RSS. Target: ≥ 200,000 events/s, < 256 MiB.
// WARREN_REBUILD_CPUPROFILE=FILE profiles the child.
func BenchmarkRebuild1M(b *testing.B) {
	path, _ := millionEvents(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.bench=^$")
		cmd.Env = append(os.Environ(), rebuildChildEnv+"="+path)
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		if err != nil {
			b.Fatal(err)
		}
		var n int64
		var secs float64
		var kib, anon int64
		if _, err := fmt.Sscan(string(out), &n, &secs, &kib, &anon); err != nil {
			b.Fatalf("child said %q: %v", out, err)
		}
		b.ReportMetric(float64(n)/secs, "events/s")
		// VmHWM counts the pages of the data file mapped by bbolt as they are
		// read; the anonymous peak is the memory rebuild itself holds.
		b.ReportMetric(float64(kib)/1024, "peak_rss_MiB")
		b.ReportMetric(float64(anon)/1024, "peak_anon_MiB")
	}
}

// BenchmarkAppendCaptured appends captured requests the way the edge does
// (events.CapturedDraft: typed payloads with both header sets, two small bodies, batches of 100
// from 2 appenders; BATCH=N for another size) through the inline
// projections. ns/op is wall time per event; cpu-µs/event is the process's
// CPU (user+system) per event, what capture takes from the proxy on a busy
// machine.
func BenchmarkAppendCaptured(b *testing.B) {
	l, err := events.Open(filepath.Join(b.TempDir(), "warren.db"), events.Options{Applier: New()})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	acc, _ := MustAccount(b, l, "bench@example.com", domain.PlanPro)
	cr := capturedRequest("hooks", 512, 2048)
	cr.UserAgent, cr.TTFBMs, cr.DurationMs = "Stripe/1.0 (+https://stripe.com/docs/webhooks)", 0.42, 1.7
	cr.RespHeaders = map[string][]string{"Content-Type": {"application/json"}, "Date": {"Tue, 24 Nov 2026 19:41:12 GMT"}}
	batch, _ := strconv.Atoi(os.Getenv("BATCH"))
	if batch == 0 {
		batch = 100
	}
	var ru0, ru1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	b.ResetTimer()
	var wg sync.WaitGroup
	for g := 0; g < 2; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < b.N/2; i += batch {
				drafts := make([]events.Draft, min(batch, b.N/2-i))
				for j := range drafts {
					drafts[j] = events.CapturedDraft(acc, time.Time{}, cr, [][]byte{[]byte(`{"id":"evt_1"}`), []byte(`{"ok":true}`)}, nil)
				}
				if _, err := l.Append(context.Background(), drafts...); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano()
	b.ReportMetric(float64(cpu)/1e3/float64(b.N), "cpu-µs/event")
}
