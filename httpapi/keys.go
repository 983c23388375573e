package httpapi

import "net/http"

// routesKeys registers /v1/keys: list (metadata only), create (the secret is
// shown once) and revoke.
func (s *Server) routesKeys() []route {
	return []route{
		{Method: "GET", Path: "/v1/keys", Access: accessKey, Handle: s.listKeysHandler},
		{Method: "POST", Path: "/v1/keys", Access: accessKey, Handle: s.createKeyHandler},
		{Method: "DELETE", Path: "/v1/keys/:id", Access: accessKey, Handle: s.revokeKeyHandler},
	}
}

func (s *Server) listKeysHandler(w http.ResponseWriter, r *http.Request, c *call) error {
	p, err := parsePage(r)
	if err != nil {
		return err
	}
	ks, err := listKeys(s.db, c.Account.ID, p.Before, p.fetch())
	if err != nil {
		return err
	}
	ks, more := cutPage(ks, p)
	last := ""
	if len(ks) > 0 {
		last = ks[len(ks)-1].ID
	}
	return writeJSON(w, http.StatusOK, struct {
		Keys        []keyJSON `json:"keys"`
		NextPageURI *string   `json:"next_page_uri"`
	}{ks, s.nextPageURI(r, p, more, last)})
}

func (s *Server) createKeyHandler(w http.ResponseWriter, r *http.Request, c *call) error {
	var in struct {
		Description string `json:"description"`
	}
	if err := decodeJSONBody(r, &in); err != nil {
		return err
	}
	k, err := createKey(r.Context(), s.log, s.rnd, c.Account.ID, in.Description)
	if err != nil {
		return err
	}
	w.Header().Set("Location", s.baseURL(r)+"/v1/keys/"+k.ID)
	return writeJSON(w, http.StatusCreated, k)
}

func (s *Server) revokeKeyHandler(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := revokeKey(r.Context(), s.log, c.Account.ID, c.Params.ByName("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
