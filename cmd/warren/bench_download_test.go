package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"
)

// BenchmarkE2E_Download1GiB: one 1 GiB response from the origin process,
// read directly and through the tunnel of the real `warren serve` and
// `warren http` binaries, in interleaved rounds (medians compared). The
// reader is a raw connection reading 256 KiB at a time, like curl, so the
// client is not what limits the direct side. edge/bench_test.go's
// BenchmarkTunnel_Download1GiB runs everything in one Go runtime.
func BenchmarkE2E_Download1GiB(b *testing.B) {
	const size, rounds = 1 << 30, 3
	originAddr, _, _ := startBenchOrigin(b)
	s, _, host := startBenchTunnel(b, originAddr, "bulk")
	defer s.Stop(b)
	var direct, tunnel []float64
	for range rounds {
		direct = append(direct, e2eDownload(b, originAddr, originAddr, size))
		tunnel = append(tunnel, e2eDownload(b, s.Addr, host, size))
	}
	slices.Sort(direct)
	slices.Sort(tunnel)
	dm, tm := direct[rounds/2], tunnel[rounds/2]
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(dm/(1<<20), "direct-MiB/s")
	b.ReportMetric(tm/(1<<20), "tunnel-MiB/s")
	b.ReportMetric(tm/dm, "tunnel/direct")
	fmt.Fprintf(os.Stderr, "e2e 1 GiB download, medians of %d: direct %.0f MiB/s, tunnel %.0f MiB/s, tunnel/direct %.2f (direct %v, tunnel %v)\n",
		rounds, dm/(1<<20), tm/(1<<20), tm/dm, mibs(direct), mibs(tunnel))
}

func mibs(v []float64) []int {
	out := make([]int, len(v))
	for i, x := range v {
		out[i] = int(x / (1 << 20))
	}
	return out
}

// e2eDownload GETs /?bytes=size from addr with Host host on a raw
// connection and returns bytes per second over the whole exchange.
func e2eDownload(b *testing.B, addr, host string, size int64) float64 {
	b.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatalf("dialing %s: %v", addr, err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Minute))
	t0 := time.Now()
	if _, err := fmt.Fprintf(c, "GET /?bytes=%d HTTP/1.1\r\nHost: %s\r\n\r\n", size, host); err != nil {
		b.Fatal(err)
	}
	br := bufio.NewReaderSize(c, 256<<10)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		b.Fatalf("download from %s (Host %s): %v", addr, host, err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 || res.ContentLength != size {
		b.Fatalf("download from %s (Host %s): %s, length %d", addr, host, res.Status, res.ContentLength)
	}
	n, err := io.CopyBuffer(struct{ io.Writer }{io.Discard}, res.Body, make([]byte, 256<<10))
	if err != nil || n != size {
		b.Fatalf("download from %s (Host %s): %d of %d bytes: %v", addr, host, n, size, err)
	}
	return float64(n) / time.Since(t0).Seconds()
}

// serveZeros answers n zero bytes with a Content-Length, 256 KiB a write.
func serveZeros(w http.ResponseWriter, n int64) {
	w.Header().Set("Content-Length", strconv.FormatInt(n, 10))
	buf := make([]byte, 256<<10)
	for n > 0 {
		k := min(n, int64(len(buf)))
		if _, err := w.Write(buf[:k]); err != nil {
			return
		}
		n -= k
	}
}
