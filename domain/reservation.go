package domain

import "time"

// Reservation holds a subdomain, or a TCP port of the server's range, for
// one account, online or offline. Exactly one of Subdomain and Port is set.
type Reservation struct {
	Subdomain string    `json:"subdomain,omitempty"`
	Port      int       `json:"port,omitempty"`
	AccountID string    `json:"accountId"`
	CreatedAt time.Time `json:"createdAt"`
}

// ClaimSubdomain applies lrok's claim rule for a tunnel asking for sub:
// reserved by another account → CodeConflict; reserved by the caller →
// granted; unreserved but live for another account → CodeConflict; otherwise
// granted (first come, ephemeral). holder is "" when nobody reserved sub and
// liveOwner is "" when no live tunnel uses it.
func ClaimSubdomain(caller, sub, holder, liveOwner string) error {
	if holder != "" && holder != caller {
		return Errorf(CodeConflict, "subdomain %q is reserved by another account", sub)
	}
	if liveOwner != "" && liveOwner != caller {
		return Errorf(CodeConflict, "subdomain %q is in use by another account", sub)
	}
	return nil
}

// CheckReserve decides whether caller may reserve sub: the name must be valid,
// not held by anyone (CodeConflict, also when the caller holds it already:
// the message says whose), and within the plan's reservation limit
// (CodeQuota).
func CheckReserve(plan Plan, sub, holder, caller string, used int64) error {
	if err := ValidateSubdomain(sub); err != nil {
		return err
	}
	if holder == caller && holder != "" {
		return Errorf(CodeConflict, "you have already reserved %q", sub)
	}
	if holder != "" {
		return Errorf(CodeConflict, "subdomain %q is reserved by another account", sub)
	}
	if !Allows(plan.Limits.Reservations, used) {
		return Errorf(CodeQuota, "the %s plan allows %d reservations", plan.Name, *plan.Limits.Reservations)
	}
	return nil
}

// ClaimPort applies the claim rule to a TCP tunnel asking for port:
// reserved by another account → CodeConflict; otherwise it may be had (if
// free). holder is "" when nobody reserved the port.
func ClaimPort(caller string, port int, holder string) error {
	if holder != "" && holder != caller {
		return Errorf(CodeConflict, "port %d is reserved by another account", port)
	}
	return nil
}

// CheckReservePort decides whether caller may reserve a TCP port: in the
// server's range lo..hi (CodeInvalid; CodeUnavailable when the server has
// no range), held by nobody (CodeConflict, also when the caller holds it),
// not live for another account (liveOwner, CodeConflict), and within the
// plan's reserved-port limit (CodeQuota).
func CheckReservePort(plan Plan, port, lo, hi int, holder, liveOwner, caller string, used int64) error {
	if lo == 0 {
		return Errorf(CodeUnavailable, "this server has no TCP port range")
	}
	if port < lo || port > hi {
		return Errorf(CodeInvalid, "port %d is not in this server's TCP range %d-%d", port, lo, hi)
	}
	if holder != "" && holder == caller {
		return Errorf(CodeConflict, "you have already reserved port %d", port)
	}
	if holder != "" {
		return Errorf(CodeConflict, "port %d is reserved by another account", port)
	}
	if liveOwner != "" && liveOwner != caller {
		return Errorf(CodeConflict, "port %d is in use by another account", port)
	}
	if !Allows(plan.Limits.ReservedPorts, used) {
		return Errorf(CodeQuota, "the %s plan allows %d reserved TCP ports", plan.Name, *plan.Limits.ReservedPorts)
	}
	return nil
}
