package browser

import (
	"context"
	"maps"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/heapprofiler"
	"github.com/chromedp/cdproto/memory"
	"github.com/chromedp/cdproto/profiler"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	bolt "go.etcd.io/bbolt"

	"warren/cmd/warren/internal/server"
	"warren/cmd/warren/internal/warrentest"
	"warren/domain"
	"warren/events"
	"warren/projections"
)

// envInt reads a benchmark's size from the environment.
func envInt(b *testing.B, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		b.Fatalf("%s=%q: %v", name, v, err)
	}
	return n
}

// seedCaptures appends n captured requests of tunnel "bench" for the
// account email to the log in data, offline, through the same inline
// projections the server uses, in batches of 5,000 per append. One path in
// a thousand is /checkout/N (the path filter's needle); the rest
// /api/items/N.
func seedCaptures(b testing.TB, data, email string, n int) {
	l, err := server.OpenLog(data, server.OpenOptions{}, events.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	acc, err := projections.View(l.DB(), func(tx *bolt.Tx) (domain.Account, error) { return projections.AccountByEmail(tx, email) })
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	at := start.Add(-time.Duration(n) * time.Millisecond)
	const batch = 5000
	methods := []string{"GET", "GET", "GET", "POST", "PUT", "DELETE"}
	statuses := []int{200, 200, 200, 201, 204, 301, 404, 500}
	for done := 0; done < n; done += batch {
		k := min(batch, n-done)
		drafts := make([]events.Draft, k)
		for j := range drafts {
			i := done + j
			path := "/api/items/" + strconv.Itoa(i)
			if i%1000 == 0 {
				path = "/checkout/" + strconv.Itoa(i)
			}
			drafts[j] = events.CapturedDraft(acc.ID, at.Add(time.Duration(i)*time.Millisecond), domain.CapturedRequest{
				Tunnel: "bench", Kind: domain.KindHTTP, Method: methods[i%len(methods)], Path: path,
				Status: statuses[i%len(statuses)], DurationMs: float64(i%300) / 3, TTFBMs: float64(i%100) / 5,
				BytesIn: 120, BytesOut: 480, IP: "203.0.113.7", UserAgent: "curl/8.7.1", Proto: "HTTP/1.1",
				Host:        "bench.localhost",
				ReqHeaders:  map[string][]string{"Accept": {"*/*"}, "User-Agent": {"curl/8.7.1"}},
				RespHeaders: map[string][]string{"Content-Type": {"application/json"}},
			}, nil, nil)
		}
		if _, err := l.Append(context.Background(), drafts...); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("seeded %d captured requests in %s (%.0f/s)", n, time.Since(start).Round(time.Millisecond), float64(n)/time.Since(start).Seconds())
}

// listMeasures is the durations (ms) of the page's "inspector:list"
// measures: from asking for a page to its rows drawn.
func listMeasures(b *testing.B, ctx context.Context) []float64 {
	return get(b, ctx, chromedp.Evaluate[[]float64](`performance.getEntriesByName("inspector:list").map((e) => e.duration)`))
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

func quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[int(q*float64(len(s)-1))]
}

// BenchmarkInspector_Million: a tunnel with WARREN_BENCH_REQUESTS captured
// requests (1,000,000 by default), seeded offline before the server
// starts. Each round opens the inspector and times, in the browser, the
// first page (first-page-ms: the page's own measure from asking for the
// page to its rows drawn; usable-ms: from navigation start to then) and
// then a path filter's answer (filter-ms), reading the Performance API.
func BenchmarkInspector_Million(b *testing.B) {
	n := envInt(b, "WARREN_BENCH_REQUESTS", 1_000_000)
	data := b.TempDir()
	warrentest.MustRun(b, "admin", "account", "create", "--data", data, "--init", "--email", "ada@example.com", "--operator")
	setPassword(b, data, "ada@example.com", testPassword)
	seedCaptures(b, data, "ada@example.com", n)
	s := warrentest.StartServer(b, data)
	d := &dash{Server: s, Data: data, URL: "http://" + s.Addr, Email: "ada@example.com", Password: testPassword}
	ctx := browser(b)
	d.signIn(b, ctx)

	var first, usable, filter []float64
	round := 0
	for b.Loop() {
		round++
		do(b, ctx, chromedp.Navigate(d.URL+"/inspector?tunnel=bench"),
			chromedp.WaitVisible(chromedp.CSS("#requests tr.row")))
		get(b, ctx, chromedp.Poll[bool](`performance.getEntriesByName("inspector:list").length === 1`))
		first = append(first, listMeasures(b, ctx)[0])
		usable = append(usable, get(b, ctx, chromedp.Evaluate[float64](`(() => { const e = performance.getEntriesByName("inspector:list")[0]; return e.startTime + e.duration })()`)))
		needle := "/checkout/" + strconv.Itoa(1000*(round%(max(n/1000, 1))))
		do(b, ctx, chromedp.SetValue(chromedp.CSS("#f-path"), needle),
			chromedp.Evaluate[chromedp.Void](`document.querySelector("#f-path").dispatchEvent(new Event("change"))`))
		get(b, ctx, chromedp.Poll[bool](`performance.getEntriesByName("inspector:list").length === 2`))
		filter = append(filter, listMeasures(b, ctx)[1])
	}
	rows := get(b, ctx, chromedp.Evaluate[string](`document.querySelector("#requests").dataset.rows`))
	b.ReportMetric(median(first), "first-page-ms")
	b.ReportMetric(median(usable), "usable-ms")
	b.ReportMetric(median(filter), "filter-ms")
	b.Logf("%d captures: first page %.1f ms (usable %.1f ms after navigation start), path filter %.1f ms (medians of %d rounds; the filter's page holds %s rows)",
		n, median(first), median(usable), median(filter), round, rows)
	s.Stop(b)
}

// heap collects garbage in the page and returns its used JS heap (bytes)
// and DOM node count.
func heap(b *testing.B, ctx context.Context) (used float64, nodes int64) {
	do(b, ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := cdp.Call(ctx, t, heapprofiler.CollectGarbage, cdp.Empty{}); err != nil {
			return err
		}
		h, err := cdp.Call(ctx, t, runtime.GetHeapUsage, cdp.Empty{})
		if err != nil {
			return err
		}
		c, err := cdp.Call(ctx, t, memory.GetDOMCounters, cdp.Empty{})
		used, nodes = h.UsedSize, c.Nodes
		return err
	}))
	return used, nodes
}

// BenchmarkInspector_LiveTail: WARREN_BENCH_TAIL_RPS requests a second
// (1,000) through a real tunnel for WARREN_BENCH_TAIL_SECONDS (60) while
// the inspector tails them live. Every 250 ms a key press (j) goes to the
// page: input-p99-ms is from the key's event timestamp to the frame after
// its handler, measured in the page; cdp-key-p99-ms is the DevTools
// round trip of the press. Heap and DOM nodes are read after a GC at the
// start and at the end; at the end, the rows the list holds and the rows
// in the DOM.
// WARREN_BENCH_TAIL_BASELINE=1 runs the same load with the page on the
// overview instead: the machine's share of the latency;
// WARREN_BENCH_TAIL_PAUSED=1 pauses the tail: the stream's share.
func BenchmarkInspector_LiveTail(b *testing.B) {
	rps := envInt(b, "WARREN_BENCH_TAIL_RPS", 1000)
	secs := envInt(b, "WARREN_BENCH_TAIL_SECONDS", 60)
	d := startDash(b)
	_, host := d.startTunnel(b, "tail", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) })
	ctx := browser(b)
	d.signIn(b, ctx)
	if os.Getenv("WARREN_BENCH_TAIL_BASELINE") != "" {
		// The control: the same load on the machine, the page without the
		// inspector (the overview), so what the tail itself costs shows.
		do(b, ctx, chromedp.Navigate(d.URL+"/"), chromedp.WaitVisible(chromedp.CSS("main .empty")))
	} else {
		do(b, ctx, chromedp.Navigate(d.URL+"/inspector"))
		waitLive(b, ctx)
		if os.Getenv("WARREN_BENCH_TAIL_PAUSED") != "" {
			// The stream's own cost: events arrive and are counted, no rows drawn.
			do(b, ctx, chromedp.Click(chromedp.CSS("#pause")))
		}
	}
	do(b, ctx, chromedp.Evaluate[chromedp.Void](`(() => {
		window.__lat = [];
		document.addEventListener("keydown", (e) => {
			const t0 = e.timeStamp;
			requestAnimationFrame(() => setTimeout(() => window.__lat.push(performance.now() - t0), 0));
		}, true);
		window.__evt = [];
		new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__evt.push(e.duration); })
			.observe({ type: "event", durationThreshold: 16, buffered: true });
	})()`))
	heap0, nodes0 := heap(b, ctx)
	profile := os.Getenv("WARREN_BENCH_TAIL_PROFILE") != ""
	if profile {
		do(b, ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			if _, err := cdp.Call(ctx, t, profiler.Enable, cdp.Empty{}); err != nil {
				return err
			}
			_, err := cdp.Call(ctx, t, profiler.Start, cdp.Empty{})
			return err
		}))
	}

	for b.Loop() {
		var sent, failed atomic.Int64
		stop := make(chan struct{})
		tokens := make(chan struct{}, rps)
		var wg sync.WaitGroup
		wg.Go(func() { // the pacer: rps tokens a second, in 10 ms slices
			t := time.NewTicker(10 * time.Millisecond)
			defer t.Stop()
			defer close(tokens)
			carry := 0.0
			for {
				select {
				case <-stop:
					return
				case <-t.C:
					carry += float64(rps) / 100
					for ; carry >= 1; carry-- {
						select {
						case tokens <- struct{}{}:
						default: // the workers are behind: this request is not sent
						}
					}
				}
			}
		})
		client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 32}}
		for range 32 {
			wg.Go(func() {
				for range tokens {
					req, _ := http.NewRequest("GET", "http://"+d.Server.Addr+"/tail/"+strconv.FormatInt(sent.Add(1), 10), nil)
					req.Host = host
					res, err := client.Do(req)
					if err != nil {
						failed.Add(1)
						continue
					}
					res.Body.Close()
				}
			})
		}
		var cdpLat []float64
		start := time.Now()
		for time.Since(start) < time.Duration(secs)*time.Second {
			t0 := time.Now()
			do(b, ctx, chromedp.KeyEvent("j"))
			cdpLat = append(cdpLat, float64(time.Since(t0).Microseconds())/1000)
			time.Sleep(250 * time.Millisecond)
		}
		elapsed := time.Since(start)
		close(stop)
		wg.Wait()
		client.CloseIdleConnections()

		if profile {
			logProfile(b, ctx)
		}
		heap1, nodes1 := heap(b, ctx)
		lat := get(b, ctx, chromedp.Evaluate[[]float64](`window.__lat`))
		evt := get(b, ctx, chromedp.Evaluate[[]float64](`window.__evt`))
		rows := get(b, ctx, chromedp.Evaluate[int](`document.querySelectorAll("#requests tr.row").length`))
		held := get(b, ctx, chromedp.Evaluate[string](`(document.querySelector("#requests") || { dataset: {} }).dataset.rows || "0"`))
		rate := float64(sent.Load()-failed.Load()) / elapsed.Seconds()
		b.ReportMetric(rate, "req/s")
		b.ReportMetric(quantile(lat, 0.5), "input-p50-ms")
		b.ReportMetric(quantile(lat, 0.99), "input-p99-ms")
		b.ReportMetric(quantile(cdpLat, 0.99), "cdp-key-p99-ms")
		b.ReportMetric(heap0/(1<<20), "heap-start-MiB")
		b.ReportMetric(heap1/(1<<20), "heap-end-MiB")
		b.ReportMetric(float64(rows), "dom-rows")
		b.Logf("live tail %s at %.0f req/s (%d sent, %d failed): input latency p50 %.1f ms p99 %.1f ms max %.1f ms (%d presses; %d event-timing entries >= 16 ms, max %.0f ms); "+
			"CDP key round trip p50 %.1f p99 %.1f ms; JS heap %.1f → %.1f MiB, DOM nodes %d → %d, rows held %s, in the DOM %d",
			elapsed.Round(time.Second), rate, sent.Load(), failed.Load(), quantile(lat, 0.5), quantile(lat, 0.99), quantile(lat, 1),
			len(lat), len(evt), quantile(evt, 1), quantile(cdpLat, 0.5), quantile(cdpLat, 0.99),
			heap0/(1<<20), heap1/(1<<20), nodes0, nodes1, held, rows)
	}
}

// logProfile stops the page's JS profiler and logs where its samples fell
// (self time by function; "(program)" is the browser's own work: style,
// layout, parsing), for WARREN_BENCH_TAIL_PROFILE=1.
func logProfile(b *testing.B, ctx context.Context) {
	do(b, ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		r, err := cdp.Call(ctx, t, profiler.Stop, cdp.Empty{})
		if err != nil {
			return err
		}
		self := map[string]int64{}
		var total int64
		for _, n := range r.Profile.Nodes {
			cf := n.CallFrame
			name := cf.FunctionName
			if name == "" {
				name = "(anonymous)"
			}
			if cf.URL != "" {
				name += " " + cf.URL[strings.LastIndex(cf.URL, "/")+1:] + ":" + strconv.FormatInt(cf.LineNumber+1, 10)
			}
			self[name] += n.HitCount
			total += n.HitCount
		}
		names := slices.SortedFunc(maps.Keys(self), func(a, b string) int { return int(self[b] - self[a]) })
		for _, name := range names[:min(20, len(names))] {
			b.Logf("profile %5.1f%%  %s", 100*float64(self[name])/float64(total), name)
		}
		return nil
	}))
}
