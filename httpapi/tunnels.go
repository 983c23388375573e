package httpapi

import (
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/projections"
)

// remoteIP is the agent's address without its port, as lrok shows it.
func remoteIP(addr string) string {
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}

// liveTunnelJSON is one item of lrok's bare GET /api/v1/me/tunnels array.
type liveTunnelJSON struct {
	ID         string    `json:"id"`
	Subdomain  string    `json:"subdomain"`
	PublicURL  string    `json:"publicUrl"`
	CreatedAt  time.Time `json:"createdAt"`
	RemoteAddr string    `json:"remoteAddr"`
}

// tunnelJSON is one item of osmRouter's GET /v1/tunnels.
type tunnelJSON struct {
	ID          string     `json:"id"`
	Name        string     `json:"name"`
	Proto       string     `json:"proto"`
	Subdomain   *string    `json:"subdomain"`
	Port        *int       `json:"port"`
	PublicURL   string     `json:"publicUrl"`
	Status      string     `json:"status"`
	Local       string     `json:"local,omitempty"`
	RemoteAddr  string     `json:"remoteAddr"`
	CreatedAt   time.Time  `json:"createdAt"`
	ClosedAt    *time.Time `json:"closedAt"`
	CloseReason *string    `json:"closeReason"`
}

func toTunnelJSON(t domain.Tunnel) tunnelJSON {
	j := tunnelJSON{ID: t.ID, Name: projections.TunnelName(t), Proto: t.Proto, PublicURL: t.PublicURL, Status: "live",
		Local: t.Local, RemoteAddr: remoteIP(t.RemoteAddr), CreatedAt: t.OpenedAt.UTC(), ClosedAt: utcPtr(t.ClosedAt)}
	if t.Proto == domain.ProtoTCP {
		port := t.Port
		j.Port = &port
	} else {
		sub := t.Subdomain
		j.Subdomain = &sub
	}
	if !t.Live() {
		reason := t.CloseReason
		j.Status, j.CloseReason = "closed", &reason
	}
	return j
}

func (s *Server) routesTunnels() []route {
	return []route{
		{Method: http.MethodGet, Path: "/api/v1/me/tunnels", Handle: s.listLiveTunnels},
		{Method: http.MethodDelete, Path: "/api/v1/me/tunnels/:sub", Handle: s.releaseTunnel},
		{Method: http.MethodGet, Path: "/v1/tunnels", Handle: s.listTunnels},
		{Method: http.MethodDelete, Path: "/v1/tunnels/:id", Handle: s.releaseTunnel},
	}
}

// listLiveTunnels is lrok's GET /api/v1/me/tunnels: a bare array of the
// live tunnels, newest first.
func (s *Server) listLiveTunnels(w http.ResponseWriter, r *http.Request, c *call) error {
	var ts []domain.Tunnel
	if err := s.view(func(tx *bolt.Tx) error {
		var err error
		ts, err = projections.LiveTunnels(tx, c.Account.ID)
		return err
	}); err != nil {
		return err
	}
	out := make([]liveTunnelJSON, 0, len(ts))
	for _, t := range ts {
		out = append(out, liveTunnelJSON{ID: t.ID, Subdomain: projections.TunnelName(t), PublicURL: t.PublicURL,
			CreatedAt: t.OpenedAt.UTC(), RemoteAddr: remoteIP(t.RemoteAddr)})
	}
	return writeJSON(w, http.StatusOK, out)
}

// listTunnels is osmRouter's GET /v1/tunnels: live and closed, paged by
// tunnel id; ?status=live lists the live ones only.
func (s *Server) listTunnels(w http.ResponseWriter, r *http.Request, c *call) error {
	p, err := parsePage(r)
	if err != nil {
		return err
	}
	if p.Before != "" {
		if _, err := projections.ParseID("before_id", "tun_", p.Before); err != nil {
			return err
		}
	}
	status := r.URL.Query().Get("status")
	if status != "" && status != "live" {
		return domain.Errorf(domain.CodeInvalid, "status %q: the only filter is live", status)
	}
	var ts []domain.Tunnel
	if err := s.view(func(tx *bolt.Tx) error {
		if status == "live" {
			ts, err = liveTunnelsPage(tx, c.Account.ID, p)
			return err
		}
		ts, err = projections.Tunnels(tx, c.Account.ID, p.Before, p.fetch())
		return err
	}); err != nil {
		return asCursorError(err, p.Before)
	}
	ts, more := cutPage(ts, p)
	out := make([]tunnelJSON, 0, len(ts))
	last := ""
	for _, t := range ts {
		out = append(out, toTunnelJSON(t))
		last = t.ID
	}
	return writeJSON(w, http.StatusOK, map[string]any{"tunnels": out, "next_page_uri": s.nextPageURI(r, p, more, last)})
}

// liveTunnelsPage pages the account's live tunnels (few: a plan's limit)
// below the cursor p.Before, which must be a live tunnel of the account.
func liveTunnelsPage(tx *bolt.Tx, accountID string, p page) ([]domain.Tunnel, error) {
	all, err := projections.LiveTunnels(tx, accountID)
	if err != nil {
		return nil, err
	}
	if p.Before != "" {
		i := slices.IndexFunc(all, func(t domain.Tunnel) bool { return t.ID == p.Before })
		if i < 0 {
			return nil, domain.Errorf(domain.CodeInvalid, "before_id %q is not a live tunnel of yours", p.Before)
		}
		all = all[i+1:]
	}
	return all[:min(len(all), p.fetch())], nil
}

// asCursorError turns a list's "before_id not found" into CodeInvalid: a
// cursor that names nothing of the caller's is a bad parameter, not a
// missing resource.
func asCursorError(err error, before string) error {
	if before != "" && domain.ErrorCode(err) == domain.CodeNotFound {
		return domain.Errorf(domain.CodeInvalid, "before_id %q is not a known id of this list", before)
	}
	return err
}

// releaseTunnel is DELETE /api/v1/me/tunnels/{sub} and DELETE
// /v1/tunnels/{id}: either accepts a tunnel id, a subdomain or "tcp-<port>"
// of a live tunnel. It appends tunnel.closed (reason released); the edge
// sees the event and closes the agent's side. 204; 404 when the caller has
// no such tunnel; closing a closed tunnel by id is a no-op 204.
func (s *Server) releaseTunnel(w http.ResponseWriter, r *http.Request, c *call) error {
	ref := c.Params.ByName("sub")
	if ref == "" {
		ref = c.Params.ByName("id")
	}
	id := ref
	if !strings.HasPrefix(ref, "tun_") {
		host := ref
		if p, ok := strings.CutPrefix(ref, "tcp-"); ok {
			if n, err := strconv.Atoi(p); err == nil {
				host = projections.TCPHost(n)
			}
		}
		var t domain.Tunnel
		var live bool
		if err := s.view(func(tx *bolt.Tx) error {
			var err error
			t, live, err = projections.LiveTunnelByHost(tx, host)
			return err
		}); err != nil {
			return err
		}
		if !live || t.AccountID != c.Account.ID {
			return domain.Errorf(domain.CodeNotFound, "no live tunnel %q on your account", ref)
		}
		id = t.ID
	}
	if _, err := s.exec(r.Context(), projections.CloseTunnel(c.Account.ID, id, domain.CloseReleased)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
