package cli

import (
	"context"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"warren/cmd/warren/internal/warrentest"
	"warren/domain"
	"warren/events"
)

func TestCLI_UsageStatementAndTunnelHistory(t *testing.T) {
	s := startAPIServer(t, "")
	env := append(warrentest.CLIEnv(t), "WARREN_SERVER="+s.URL, "WARREN_API_KEY="+s.key)
	var me struct{ ID string }
	warrentest.CLIJSON(t, env, &me, "login", "--server", s.URL, "--key", s.key)
	at := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
	for i, tunnel := range []string{"hooks", "hooks", "other"} {
		if _, err := s.Log.Append(context.Background(), events.Draft{Type: events.RequestCaptured, Account: me.ID,
			At: at.Add(time.Duration(i) * time.Minute), Data: domain.CapturedRequest{Tunnel: tunnel, Kind: domain.KindHTTP,
				Method: "POST", Path: "/", Status: 200, BytesIn: 100, BytesOut: 10}}); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("Statement", func(t *testing.T) {
		var st struct {
			Month      string
			Closed     bool
			Requests   int64
			BytesTotal int64
		}
		warrentest.CLIJSON(t, env, &st, "usage", "statement", "--month", "2026-03")
		if st.Month != "2026-03" || !st.Closed || st.Requests != 3 || st.BytesTotal != 330 {
			t.Fatalf("statement = %+v", st)
		}
		out := warrentest.CLIOK(t, env, "usage", "statement", "--month", "2026-03")
		if !strings.Contains(out, "closed (final)") || !strings.Contains(out, "requests") {
			t.Fatalf("statement table:\n%s", out)
		}
		rows, err := csv.NewReader(strings.NewReader(warrentest.CLIOK(t, env, "usage", "statement", "--month", "2026-03", "--csv"))).ReadAll()
		if err != nil || len(rows) != 2 || rows[0][5] != "requests" || rows[1][5] != "3" {
			t.Fatalf("csv rows %v (%v)", rows, err)
		}
		warrentest.CLIFails(t, env, "not YYYY-MM", "usage", "statement", "--month", "March")
	})
	t.Run("TunnelHistory", func(t *testing.T) {
		var days []struct {
			Date     string
			Requests int64
		}
		warrentest.CLIJSON(t, env, &days, "usage", "--history", "--from", "2026-03-04", "--to", "2026-03-04", "--tunnel", "hooks")
		if len(days) != 1 || days[0].Requests != 2 {
			t.Fatalf("hooks history = %+v", days)
		}
		warrentest.CLIJSON(t, env, &days, "usage", "--history", "--from", "2026-03-04", "--to", "2026-03-04")
		if len(days) != 1 || days[0].Requests != 3 {
			t.Fatalf("account history = %+v", days)
		}
	})
}
