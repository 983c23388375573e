package httpapi

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// BenchmarkSSEFanoutFloor is BenchmarkSSEFanout's floor on the same
// machine: the same 100 clients reading and parsing the same lines from
// loopback at 1,000 events/s, but the server is a bare handler that writes
// and flushes each line to every subscriber the moment a ticker makes it:
// no log, no fsync, no projections, no authentication. Whatever delivery
// latency it shows, the real stream cannot beat here.
func BenchmarkSSEFanoutFloor(b *testing.B) {
	const subscribers, rate = 100, 1000
	dur := 10 * time.Second
	if v := os.Getenv("WARREN_BENCH_SSE_SECONDS"); v != "" {
		s, _ := strconv.Atoi(v)
		dur = time.Duration(s) * time.Second
	}
	for b.Loop() {
		total := int(dur.Seconds()) * rate
		var mu sync.Mutex
		var subs []chan string
		joined := make(chan struct{}, subscribers)
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ch := make(chan string, total)
			mu.Lock()
			subs = append(subs, ch)
			mu.Unlock()
			w.Header().Set("Content-Type", "text/event-stream")
			w.WriteHeader(200)
			w.(http.Flusher).Flush()
			joined <- struct{}{}
			for line := range ch {
				if _, err := w.Write([]byte(line)); err != nil {
					return
				}
				w.(http.Flusher).Flush()
			}
		}))
		var lat []time.Duration
		var wg sync.WaitGroup
		for i := 0; i < subscribers; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				resp, err := http.DefaultClient.Do(mustReq(b, ts.URL))
				if err != nil {
					b.Error(err)
					return
				}
				defer resp.Body.Close()
				mine := make([]time.Duration, 0, total)
				sc := bufio.NewScanner(resp.Body)
				for sc.Scan() && len(mine) < total {
					if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
						at := time.Now()
						j := strings.Index(data, `"path":"/t/`)
						ns, _ := strconv.ParseInt(data[j+11:j+11+strings.IndexByte(data[j+11:], '"')], 10, 64)
						mine = append(mine, at.Sub(time.Unix(0, ns)))
					}
				}
				mu.Lock()
				lat = append(lat, mine...)
				mu.Unlock()
			}()
		}
		for i := 0; i < subscribers; i++ {
			<-joined
		}
		tick := time.NewTicker(time.Second / rate)
		for sent := 0; sent < total; sent++ {
			<-tick.C
			line := fmt.Sprintf("id: %d\ndata: {\"path\":\"/t/%d\"}\n\n", sent, time.Now().UnixNano())
			mu.Lock()
			for _, ch := range subs {
				ch <- line
			}
			mu.Unlock()
		}
		tick.Stop()
		mu.Lock()
		for _, ch := range subs {
			close(ch)
		}
		mu.Unlock()
		wg.Wait()
		ts.Close()
		b.ReportMetric(float64(subscribers*total-len(lat)), "lost")
		reportLatency(b, lat)
	}
}

func mustReq(b *testing.B, url string) *http.Request {
	req, err := http.NewRequestWithContext(context.Background(), "GET", url, nil)
	if err != nil {
		b.Fatal(err)
	}
	return req
}
