package domain

// AccessRules is who may reach a tunnel, as a reservation keeps them
// (edge/access enforces them): basic-auth users with argon2id hashes of
// their passwords, and allowed and denied CIDR prefixes in their
// canonical text form. The zero value lets anyone in.
type AccessRules struct {
	BasicAuth []AccessCredential `json:"basicAuth,omitempty"`
	AllowCIDR []string           `json:"allowCidr,omitempty"`
	DenyCIDR  []string           `json:"denyCidr,omitempty"`
	OIDC      *AccessOIDC        `json:"oidc,omitempty"`
}

// AccessOIDC is a reservation's OpenID Connect login. Its client secret is
// not here: it lives in the sealed store under SecretID, and
// SecretFingerprint names it without revealing it.
type AccessOIDC struct {
	Issuer            string   `json:"issuer"`
	ClientID          string   `json:"clientId"`
	SecretID          string   `json:"secretId"`
	SecretFingerprint string   `json:"secretFingerprint"`
	AllowEmail        []string `json:"allowEmail"`
}

// AccessCredential is one basic-auth user: the name and the argon2id PHC
// hash of the password (never the password).
type AccessCredential struct {
	User string `json:"user"`
	Hash string `json:"hash"`
}

// The access rule that refused a visitor, as a capture's Denied says.
const (
	DeniedBasicAuth = "basic_auth"
	DeniedIP        = "ip"
	DeniedOIDC      = "oidc"
)

// MaxAccessRules bounds each list of AccessRules, so no open or API call
// can make every public request walk thousands of prefixes or hashes.
const MaxAccessRules = 64

// Empty reports whether r sets no rule.
func (r AccessRules) Empty() bool {
	return len(r.BasicAuth) == 0 && len(r.AllowCIDR) == 0 && len(r.DenyCIDR) == 0 && r.OIDC == nil
}

// CheckSize refuses a list longer than MaxAccessRules (CodeInvalid).
func (r AccessRules) CheckSize() error {
	if len(r.BasicAuth) > MaxAccessRules || len(r.AllowCIDR) > MaxAccessRules || len(r.DenyCIDR) > MaxAccessRules ||
		r.OIDC != nil && len(r.OIDC.AllowEmail) > MaxAccessRules {
		return Errorf(CodeInvalid, "at most %d basic-auth users, allowed and denied prefixes each", MaxAccessRules)
	}
	return nil
}

// MergeAccess is the rules of a tunnel on a reserved name: the
// reservation's, to which the agent's flags add. Users of both are let in
// (the agent's hash wins for a name in both), prefixes denied by either
// are denied, and prefixes allowed by either are allowed. An agent's own
// login (--oidc-issuer, which the edge keeps apart) replaces the
// reservation's; OIDC here is the reservation's.
func MergeAccess(reservation, agent AccessRules) AccessRules {
	if reservation.Empty() {
		return agent
	}
	if agent.Empty() {
		return reservation
	}
	out := AccessRules{OIDC: reservation.OIDC,
		AllowCIDR: union(reservation.AllowCIDR, agent.AllowCIDR),
		DenyCIDR:  union(reservation.DenyCIDR, agent.DenyCIDR),
	}
	byAgent := map[string]bool{}
	for _, c := range agent.BasicAuth {
		byAgent[c.User] = true
	}
	for _, c := range reservation.BasicAuth {
		if !byAgent[c.User] {
			out.BasicAuth = append(out.BasicAuth, c)
		}
	}
	out.BasicAuth = append(out.BasicAuth, agent.BasicAuth...)
	return out
}

func union(a, b []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range append(append([]string(nil), a...), b...) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
