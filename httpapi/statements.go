package httpapi

import (
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/projections"
)

// routesStatements serves monthly billing statements: an account's own, and
// every account's for the operator.
func (s *Server) routesStatements() []route {
	return []route{
		{Method: "GET", Path: "/api/v1/me/statements/:month", Access: accessKey, Handle: s.myStatementHandler},
		{Method: "GET", Path: "/api/v1/admin/statements/:month", Access: accessOperator, Handle: s.allStatementsHandler},
	}
}

func (s *Server) myStatementHandler(w http.ResponseWriter, r *http.Request, c *call) error {
	month, err := s.statementMonth(c.Params.ByName("month"))
	if err != nil {
		return err
	}
	asCSV, err := wantsCSV(r)
	if err != nil {
		return err
	}
	var st projections.Statement
	if err := s.view(func(tx *bolt.Tx) (err error) {
		st, err = projections.MonthStatement(tx, c.Account.ID, month, s.now())
		return err
	}); err != nil {
		return err
	}
	if asCSV {
		return writeStatementsCSV(w, st.Month, []projections.Statement{st})
	}
	return writeJSON(w, http.StatusOK, st)
}

func (s *Server) allStatementsHandler(w http.ResponseWriter, r *http.Request, c *call) error {
	month, err := s.statementMonth(c.Params.ByName("month"))
	if err != nil {
		return err
	}
	asCSV, err := wantsCSV(r)
	if err != nil {
		return err
	}
	var all []projections.Statement
	if err := s.view(func(tx *bolt.Tx) (err error) {
		all, err = projections.AllStatements(tx, month, s.now())
		return err
	}); err != nil {
		return err
	}
	if asCSV {
		return writeStatementsCSV(w, month.Format("2006-01"), all)
	}
	if all == nil {
		all = []projections.Statement{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"month": month.Format("2006-01"), "statements": all})
}

// statementMonth parses a statement's month: one that has not begun has no
// statement (an all-zero "open" one would read as a real month).
func (s *Server) statementMonth(v string) (time.Time, error) {
	month, err := projections.ParseMonth(v)
	if err != nil {
		return month, err
	}
	now := s.now().UTC()
	if month.After(time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)) {
		return month, domain.Errorf(domain.CodeInvalid, "month %s has not begun", v)
	}
	return month, nil
}

// wantsCSV: ?format=csv, or an Accept that names text/csv; a format other
// than json or csv is CodeInvalid, as for the export.
func wantsCSV(r *http.Request) (bool, error) {
	switch f := r.URL.Query().Get("format"); f {
	case "csv":
		return true, nil
	case "json":
		return false, nil
	case "":
		return strings.Contains(r.Header.Get("Accept"), "text/csv"), nil
	default:
		return false, domain.Errorf(domain.CodeInvalid, "format %q: use json or csv", f)
	}
}

// statementColumns is the CSV header; the JSON field names, in order.
var statementColumns = []string{"accountId", "email", "plan", "month", "closed", "requests", "bytesIn",
	"bytesOut", "bytesTotal", "tunnelSeconds", "peakConcurrentTunnels", "reservationDays", "domainDays", "replays"}

// wireColumns follow statementColumns in a month under the wire rule
// (every statement of a month has the same rule); a month before it keeps
// the columns it always had, so its CSV never changes.
var wireColumns = []string{"bandwidthRule", "bodyBytesIn", "bodyBytesOut"}

func writeStatementsCSV(w http.ResponseWriter, month string, sts []projections.Statement) error {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="warren-statement-`+month+`.csv"`)
	cw := csv.NewWriter(w)
	wire := len(sts) > 0 && sts[0].BandwidthRule != ""
	cols := statementColumns
	if wire {
		cols = append(append([]string(nil), statementColumns...), wireColumns...)
	}
	if err := cw.Write(cols); err != nil {
		return nil // the client went away; nothing left to tell it
	}
	i64 := func(n int64) string { return strconv.FormatInt(n, 10) }
	f64 := func(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
	for _, st := range sts {
		row := []string{st.AccountID, st.Email, st.Plan, st.Month, strconv.FormatBool(st.Closed),
			i64(st.Requests), i64(st.BytesIn), i64(st.BytesOut), i64(st.BytesTotal), i64(st.TunnelSeconds),
			strconv.Itoa(st.PeakTunnels), f64(st.ReservationDays), f64(st.DomainDays), i64(st.Replays)}
		if wire && st.BodyBytesIn != nil {
			row = append(row, st.BandwidthRule, i64(*st.BodyBytesIn), i64(*st.BodyBytesOut))
		}
		_ = cw.Write(row)
	}
	cw.Flush()
	return nil
}
