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
}

// Credential is one basic-auth user: the name and the argon2id hash of the
// password.
type Credential struct {
	User string `json:"user"`
	Hash string `json:"hash"`
}

// Empty reports whether a sets no rule (nil included).
func (a *Access) Empty() bool {
	return a == nil || len(a.BasicAuth) == 0 && len(a.AllowCIDR) == 0 && len(a.DenyCIDR) == 0
}
