package httpapi

import (
	"net/http"

	"warren/domain"
)

// routesDomains registers /v1/domains: list, add (answers the TXT record to
// publish), verify (a DNS lookup now) and remove.
func (s *Server) routesDomains() []route {
	return []route{
		{Method: "GET", Path: "/v1/domains", Access: accessKey, Handle: s.listDomainsHandler},
		{Method: "POST", Path: "/v1/domains", Access: accessKey, Handle: s.addDomainHandler},
		{Method: "POST", Path: "/v1/domains/:id/verify", Access: accessKey, Handle: s.verifyDomainHandler},
		{Method: "DELETE", Path: "/v1/domains/:id", Access: accessKey, Handle: s.removeDomainHandler},
	}
}

func (s *Server) listDomainsHandler(w http.ResponseWriter, r *http.Request, c *call) error {
	p, err := parsePage(r)
	if err != nil {
		return err
	}
	ds, err := listDomains(s.db, c.Account.ID, p.Before, p.fetch())
	if err != nil {
		return err
	}
	ds, more := cutPage(ds, p)
	last := ""
	if len(ds) > 0 {
		last = ds[len(ds)-1].ID
	}
	return writeJSON(w, http.StatusOK, struct {
		Domains     []domainJSON `json:"domains"`
		NextPageURI *string      `json:"next_page_uri"`
	}{ds, s.nextPageURI(r, p, more, last)})
}

func (s *Server) addDomainHandler(w http.ResponseWriter, r *http.Request, c *call) error {
	var in struct {
		Name string `json:"name"`
	}
	if err := decodeJSONBody(r, &in); err != nil {
		return err
	}
	if in.Name == "" {
		return domain.Errorf(domain.CodeInvalid, "name is required")
	}
	d, err := addDomain(r.Context(), s.log, s.rnd, c.Account.ID, in.Name, s.cfg.BaseDomain)
	if err != nil {
		return err
	}
	w.Header().Set("Location", s.baseURL(r)+"/v1/domains/"+d.ID)
	return writeJSON(w, http.StatusCreated, d)
}

// verifyDomainHandler and removeDomainHandler take a domain id or its name.
func (s *Server) verifyDomainHandler(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := domainRef(s.db, c.Account.ID, c.Params.ByName("id"))
	if err != nil {
		return err
	}
	d, err := verifyDomain(r.Context(), s.log, s.cfg.Resolver, c.Account.ID, id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, d)
}

func (s *Server) removeDomainHandler(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := domainRef(s.db, c.Account.ID, c.Params.ByName("id"))
	if err != nil {
		return err
	}
	if err := removeDomain(r.Context(), s.log, c.Account.ID, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
