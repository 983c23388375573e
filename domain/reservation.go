package domain

import "time"

// Reservation holds a subdomain for one account, online or offline.
type Reservation struct {
	Subdomain string    `json:"subdomain"`
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
