package wire

// Access is who may reach a tunnel, as the agent asks when it opens it
// (edge/access enforces it). Passwords never cross the wire: the agent
// hashes each one (access.HashCredential) and sends the argon2id PHC
// string, so neither the server's memory nor its log ever holds one in
// clear.
type Access struct {
	BasicAuth []Credential `json:"basicAuth,omitempty"`
	AllowCIDR []string     `json:"allowCidr,omitempty"`
	DenyCIDR  []string     `json:"denyCidr,omitempty"`
	// OIDC puts an OpenID Connect login in front of the tunnel. Its client
	// secret crosses the control stream (TLS to the server) and lives in
	// the server's memory for the tunnel's life only: no event, log line
	// or file ever holds it.
	OIDC *OIDC `json:"oidc,omitempty"`
}

// OIDC is a tunnel's login: the issuer, the client registered there, and
// who may sign in ("user@example.com", or "@example.com" for a domain).
type OIDC struct {
	Issuer       string   `json:"issuer"`
	ClientID     string   `json:"clientId"`
	ClientSecret string   `json:"clientSecret"`
	AllowEmail   []string `json:"allowEmail"`
}

// Credential is one basic-auth user: the name and the argon2id hash of the
// password.
type Credential struct {
	User string `json:"user"`
	Hash string `json:"hash"`
}

// Empty reports whether a sets no rule (nil included).
func (a *Access) Empty() bool {
	return a == nil || len(a.BasicAuth) == 0 && len(a.AllowCIDR) == 0 && len(a.DenyCIDR) == 0 && a.OIDC == nil
}
