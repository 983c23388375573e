package dashboard

import (
	"bytes"
	"embed"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed web
var webFS embed.FS

// CSP is the Content-Security-Policy of every page and asset: only this
// origin's scripts and styles, no inline script, no plugins, never framed.
// Images may be blob: URLs because the inspector shows captured images
// from bytes it fetched; frames only as sandboxed srcdoc previews.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; " +
	"connect-src 'self'; frame-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// Pages are the app's paths: each serves index.html and the app's router
// draws the page. httpapi registers exactly these (plus AssetPrefix).
var Pages = []string{
	"/login", "/device", "/set-password",
	"/inspector", "/tunnels", "/reservations", "/domains", "/keys",
	"/audit", "/statements", "/sessions", "/admin",
}

// AssetPrefix is where the app's files are served.
const AssetPrefix = "/assets/"

// App serves the embedded web app: index.html for a page path, the file
// itself under AssetPrefix. Files are immutable for one binary, so they
// carry its start time as Last-Modified and are revalidated, never stale.
type App struct {
	files    fs.FS
	modified time.Time
}

// NewApp returns the app; started is the process start (Last-Modified).
func NewApp(started time.Time) *App {
	sub, err := fs.Sub(webFS, "web")
	if err != nil {
		panic("dashboard: embedded web/ missing: " + err.Error()) // a build defect
	}
	return &App{files: sub, modified: started}
}

// ServeIndex writes index.html with the security headers of a page.
func (a *App) ServeIndex(w http.ResponseWriter, r *http.Request) {
	a.serve(w, r, "index.html")
}

// ServeAsset writes the file at r.URL.Path (under AssetPrefix), or 404.
func (a *App) ServeAsset(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(path.Clean(r.URL.Path), AssetPrefix)
	if name == "" || name == "index.html" || strings.HasPrefix(name, ".") || strings.Contains(name, "..") {
		http.NotFound(w, r)
		return
	}
	a.serve(w, r, name)
}

func (a *App) serve(w http.ResponseWriter, r *http.Request, name string) {
	b, err := fs.ReadFile(a.files, name)
	if err != nil {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	h := w.Header()
	SecurityHeaders(h)
	h.Set("Content-Type", contentType(name))
	h.Set("Cache-Control", "no-cache")
	http.ServeContent(w, r, name, a.modified, bytes.NewReader(b))
}

// SecurityHeaders sets what every dashboard answer carries.
func SecurityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", CSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
}

func contentType(name string) string {
	switch path.Ext(name) {
	case ".html":
		return "text/html; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	case ".png":
		return "image/png"
	case ".json":
		return "application/json"
	}
	return "application/octet-stream"
}
