package browser

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

func TestInspectorShowsBodiesByType(t *testing.T) {
	var img bytes.Buffer
	m := image.NewRGBA(image.Rect(0, 0, 3, 2))
	m.Set(0, 0, color.RGBA{255, 0, 0, 255})
	if err := png.Encode(&img, m); err != nil {
		t.Fatal(err)
	}
	d := startDash(t)
	_, host := d.startTunnel(t, "bodies", func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/logo.png":
			w.Header().Set("Content-Type", "image/png")
			_, _ = w.Write(img.Bytes())
		case "/feed":
			w.Header().Set("Content-Type", "application/atom+xml")
			_, _ = w.Write([]byte(`<feed><title>t</title><entry><id>1</id></entry></feed>`))
		case "/blob":
			w.Header().Set("Content-Type", "application/octet-stream")
			_, _ = w.Write([]byte{0xde, 0xad, 0xbe, 0xef, 0x00, 'h', 'i'})
		}
	})
	d.send(t, host, "GET", "/logo.png", "", "")
	d.send(t, host, "GET", "/blob", "", "")
	d.send(t, host, "POST", "/feed", "application/x-www-form-urlencoded", "name=ada+lovelace&note=%3Cb%3Ehi%3C%2Fb%3E")
	big := strings.Repeat("0123456789abcdef", (1<<20)/16+4096) // past the free plan's 1 MiB capture limit
	d.send(t, host, "POST", "/upload", "text/plain", big)
	d.waitCaptured(t, "/upload")
	ctx := browser(t)
	d.signIn(t, ctx)
	do(t, ctx, chromedp.Navigate(d.URL+"/inspector"))
	waitLive(t, ctx)

	// The image, from a blob: URL, decoded by the browser.
	do(t, ctx, chromedp.Click(chromedp.CSS(`#requests tr.row td.path[title="/logo.png"]`)),
		chromedp.Click(chromedp.CSS("#tab-response")), chromedp.WaitVisible(chromedp.CSS("#side-response img.preview")))
	get(t, ctx, chromedp.Poll[bool](`(() => { const i = document.querySelector("#side-response img.preview"); return i.complete && i.naturalWidth === 3 && i.src.startsWith("blob:") })()`))

	// Binary as a hex dump.
	do(t, ctx, chromedp.Click(chromedp.CSS(`#requests tr.row td.path[title="/blob"]`)),
		chromedp.WaitVisible(chromedp.CSS("#side-response pre.body-view.hex")))
	if hex := jsString(t, ctx, `document.querySelector("#side-response pre.body-view.hex").textContent`); !strings.HasPrefix(hex, "00000000  de ad be ef 00 68 69") || !strings.HasSuffix(hex, ".....hi") {
		t.Fatalf("hex dump %q", hex)
	}

	// A form decoded into a table (the escaped markup as text); XML indented.
	do(t, ctx, chromedp.Click(chromedp.CSS(`#requests tr.row td.path[title="/feed"]`)),
		chromedp.Click(chromedp.CSS("#tab-request")), chromedp.WaitVisible(chromedp.CSS("#side-request table.form-view")))
	form := jsString(t, ctx, `[...document.querySelectorAll("#side-request table.form-view tbody td")].map((td) => td.textContent).join("|")`)
	if form != "name|ada lovelace|note|<b>hi</b>" {
		t.Fatalf("form shown as %q", form)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS("#tab-response")), chromedp.WaitVisible(chromedp.CSS("#side-response pre.body-view.xml")))
	if x := jsString(t, ctx, `document.querySelector("#side-response pre.body-view.xml").textContent`); x != "<feed>\n  <title>t</title>\n  <entry>\n    <id>1</id>\n  </entry>\n</feed>" {
		t.Fatalf("XML shown as %q", x)
	}

	// A body cut at the capture limit says so.
	do(t, ctx, chromedp.Click(chromedp.CSS(`#requests tr.row td.path[title="/upload"]`)),
		chromedp.Click(chromedp.CSS("#tab-request")), chromedp.WaitVisible(chromedp.CSS("#side-request p.note.truncated")))
	if note := jsString(t, ctx, `document.querySelector("#side-request p.note.truncated").textContent`); !strings.Contains(note, "1.0 MiB of 1.1 MiB") {
		t.Fatalf("truncation note %q", note)
	}
}
