package browser

import (
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"warren/cmd/warren/internal/warrentest"
)

// startDashTCP is startDash with a TCP port range of n ports (from lo).
func startDashTCP(t *testing.T, n int) (*dash, int) {
	t.Helper()
	data := t.TempDir()
	key := strings.TrimSpace(warrentest.LastLine(warrentest.MustRun(t, "admin", "account", "create",
		"--data", data, "--init", "--email", "ada@example.com", "--operator").Stdout))
	setPassword(t, data, "ada@example.com", testPassword)
	lo := warrentest.FreePortRange(t, n)
	s := warrentest.StartServerAt(t, data, "127.0.0.1:0", "WARREN_TCP_PORTS="+strconv.Itoa(lo)+"-"+strconv.Itoa(lo+n-1))
	t.Cleanup(func() { s.Stop(t) })
	return &dash{Server: s, Data: data, URL: "http://" + s.Addr, Email: "ada@example.com", Password: testPassword, Key: key}, lo
}

// TestReservationsPageReservesAndListsTCPPorts: the reservations page knew
// subdomains only: a reserved TCP port showed as an empty row whose
// Release sent DELETE …/undefined, and a port could not be reserved from
// it. It lists ports by name (tcp:N) with the command that uses them,
// reserves one (any free, or a given port), shows the port quota, and
// releases one.
func TestReservationsPageReservesAndListsTCPPorts(t *testing.T) {
	d, lo := startDashTCP(t, 3)
	ctx := browser(t)
	w := watchConsole(t, ctx)
	d.signIn(t, ctx)
	visit(t, ctx, d.URL+"/reservations")

	// Reserve any free port: the lowest of the range.
	first := "tcp:" + strconv.Itoa(lo)
	do(t, ctx,
		chromedp.Click(chromedp.CSS("#reserve-port")),
		chromedp.WaitVisible(chromedp.CSS(`[data-release="`+first+`"]`)))
	if got := d.reservationNames(t); len(got) != 1 || got[0] != first {
		t.Fatalf("after reserving a port in the UI the API lists %v", got)
	}
	row := get(t, ctx, chromedp.Text(chromedp.CSS("#reservations-table tbody tr")))
	if !strings.Contains(row, first) || !strings.Contains(row, "warren tcp 5432 --port "+strconv.Itoa(lo)) {
		t.Fatalf("the port's row reads %q", row)
	}
	if q := get(t, ctx, chromedp.Text(chromedp.CSS("#port-quota"))); !strings.Contains(q, "1 of 1") {
		t.Fatalf("the port quota reads %q, want 1 of 1 (the free plan)", q)
	}
	screenshot(t, ctx, "reservations-tcp")

	// Released from the page, the port is free again; a given port is reserved.
	do(t, ctx,
		chromedp.Click(chromedp.CSS(`[data-release="`+first+`"]`)),
		chromedp.Click(chromedp.CSS(`[data-release="`+first+`"]`)),
		chromedp.WaitNotPresent(chromedp.CSS(`[data-release="`+first+`"]`)))
	if got := d.reservationNames(t); len(got) != 0 {
		t.Fatalf("after releasing in the UI the API lists %v", got)
	}
	given := "tcp:" + strconv.Itoa(lo+2)
	do(t, ctx,
		chromedp.SetValue(chromedp.CSS("#reservation-port"), strconv.Itoa(lo+2)),
		chromedp.Click(chromedp.CSS("#reserve-port")),
		chromedp.WaitVisible(chromedp.CSS(`[data-release="`+given+`"]`)))

	// A port reserved elsewhere (the CLI, the API) is listed beside subdomains.
	var v struct{ Error, Message string }
	if st := apiJSON(t, "DELETE", d.URL+"/api/v1/me/reservations/"+given, d.Key, "", nil); st != 204 {
		t.Fatalf("DELETE %s: %d", given, st)
	}
	if st := apiJSON(t, "POST", d.URL+"/api/v1/me/reservations", d.Key, `{"proto":"tcp","port":`+strconv.Itoa(lo+1)+`}`, &v); st != 201 {
		t.Fatalf("POST port: %d %+v", st, v)
	}
	if st := apiJSON(t, "POST", d.URL+"/api/v1/me/reservations", d.Key, `{"subdomain":"my-db"}`, &v); st != 201 {
		t.Fatalf("POST subdomain: %d %+v", st, v)
	}
	visit(t, ctx, d.URL+"/reservations")
	do(t, ctx,
		chromedp.WaitVisible(chromedp.CSS(`[data-release="tcp:`+strconv.Itoa(lo+1)+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-release="my-db"]`)))
	if errs := w.errors(); len(errs) > 0 {
		t.Fatalf("console errors:\n%s", strings.Join(errs, "\n"))
	}
}

// reservationNames lists the account's reservations by name: a
// subdomain, or tcp:PORT.
func (d *dash) reservationNames(t *testing.T) []string {
	t.Helper()
	var page struct {
		Reservations []struct{ Subdomain, Name string } `json:"reservations"`
	}
	if st := apiJSON(t, "GET", d.URL+"/api/v1/me/reservations", d.Key, "", &page); st != 200 {
		t.Fatalf("GET reservations: %d", st)
	}
	var out []string
	for _, r := range page.Reservations {
		out = append(out, r.Subdomain+r.Name)
	}
	return out
}
