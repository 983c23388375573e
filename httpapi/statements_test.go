package httpapi

import (
	"context"
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"warren/domain"
	"warren/events"
)

func TestStatements(t *testing.T) {
	// The clock is in December, so November is a closed month.
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	e := mustEnv(t, func(c *Config) { c.Now = func() time.Time { return now } })
	op, opKey := e.account(t, "op@example.com", domain.PlanPro, true)
	a, aKey := e.account(t, "a@example.com", domain.PlanFree, false)
	_ = op
	nov := time.Date(2026, 11, 10, 9, 0, 0, 0, time.UTC)
	for i := 0; i < 25; i++ {
		d := captureDraft(a, "tun_x", "hooks", i, nil, nil)
		d.At = nov.Add(time.Duration(i) * time.Hour)
		if _, err := e.log.Append(context.Background(), d); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.log.Append(context.Background(), events.Draft{Type: events.ReservationCreated, Account: a,
		At: nov, Data: events.ReservationData{Subdomain: "hooks"}}); err != nil {
		t.Fatal(err)
	}

	t.Run("JSON", func(t *testing.T) {
		st, _, body := e.do(t, "GET", "/api/v1/me/statements/2026-11", aKey, "")
		wantStatus(t, st, 200, body)
		var got map[string]any
		mustJSON(t, body, &got)
		if got["requests"] != 25.0 || got["bytesTotal"] != 25*38.0 || got["closed"] != true || got["reservationDays"] != 20.625 {
			t.Fatalf("statement %s", body)
		}
	})
	t.Run("CSVAgreesWithJSON", func(t *testing.T) {
		_, _, js := e.do(t, "GET", "/api/v1/me/statements/2026-11", aKey, "")
		var j map[string]any
		mustJSON(t, js, &j)
		st, hdr, body := e.do(t, "GET", "/api/v1/me/statements/2026-11", aKey, "", "Accept", "text/csv")
		wantStatus(t, st, 200, body)
		if !strings.HasPrefix(hdr.Get("Content-Type"), "text/csv") {
			t.Fatalf("content type %q", hdr.Get("Content-Type"))
		}
		rows, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
		if err != nil || len(rows) != 2 {
			t.Fatalf("csv %q %v", body, err)
		}
		for i, col := range rows[0] {
			want := j[col]
			var got any = rows[1][i]
			switch w := want.(type) {
			case float64:
				got, _ = strconv.ParseFloat(rows[1][i], 64)
			case bool:
				got, _ = strconv.ParseBool(rows[1][i])
			default:
				_ = w
			}
			if got != want {
				t.Errorf("column %s: csv %v, json %v", col, got, want)
			}
		}
	})
	t.Run("OperatorCSV", func(t *testing.T) {
		st, _, body := e.do(t, "GET", "/api/v1/admin/statements/2026-11?format=csv", opKey, "")
		wantStatus(t, st, 200, body)
		rows, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
		if err != nil || len(rows) != 3 {
			t.Fatalf("operator csv: %d rows, %v\n%s", len(rows), err, body)
		}
	})
	t.Run("ErrNotOperator", func(t *testing.T) {
		st, _, body := e.do(t, "GET", "/api/v1/admin/statements/2026-11", aKey, "")
		wantError(t, st, body, http.StatusForbidden, "forbidden")
	})
	t.Run("ErrBadMonth", func(t *testing.T) {
		for _, m := range []string{"2026-13", "2026-1", "november", "2026-11-01", "2027-01", "2031-05"} {
			st, _, body := e.do(t, "GET", "/api/v1/me/statements/"+m, aKey, "")
			wantError(t, st, body, http.StatusBadRequest, "invalid")
			st, _, body = e.do(t, "GET", "/api/v1/admin/statements/"+m, opKey, "")
			wantError(t, st, body, http.StatusBadRequest, "invalid")
		}
		for _, q := range []string{"?format=xml", "?format=CSV", "?format="} {
			st, _, body := e.do(t, "GET", "/api/v1/me/statements/2026-11"+q, aKey, "")
			if q == "?format=" { // empty: as if absent
				if st != http.StatusOK {
					t.Fatalf("%s: %d %s", q, st, body)
				}
				continue
			}
			wantError(t, st, body, http.StatusBadRequest, "invalid")
		}
		if st, hdr, _ := e.do(t, "GET", "/api/v1/me/statements/2026-11?format=json", aKey, "", "Accept", "text/csv"); st != http.StatusOK || !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") {
			t.Fatalf("format=json: %d %s", st, hdr.Get("Content-Type"))
		}
		// The month under way is open, not refused.
		if st, _, body := e.do(t, "GET", "/api/v1/me/statements/2026-12", aKey, ""); st != http.StatusOK {
			t.Fatalf("this month: %d %s", st, body)
		}
	})
}
