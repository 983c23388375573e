package domain

// Limits are a plan's quotas. A nil pointer means unlimited.
type Limits struct {
	Tunnels        *int64 `json:"tunnels"`
	Reservations   *int64 `json:"reservations"`
	Domains        *int64 `json:"domains"`
	BandwidthBytes *int64 `json:"bandwidthBytes"` // per calendar month (UTC), in + out
	// CaptureBodyBytes is how much of each request and response body is stored.
	CaptureBodyBytes int64 `json:"captureBodyBytes"`
	// RetentionDays is how long captured bodies are kept.
	RetentionDays int `json:"retentionDays"`
}

// Plan is a named set of limits.
type Plan struct {
	Name   string `json:"name"`
	Limits Limits `json:"limits"`
}

// Plan names.
const (
	PlanFree = "free"
	PlanPro  = "pro"
)

const (
	mib = 1 << 20
	gib = 1 << 30
)

func limit(n int64) *int64 { return &n }

// PlanByName returns a built-in plan. It fails with CodeInvalid for an unknown name.
// Each call returns a fresh value, so callers may not alter the built-ins.
func PlanByName(name string) (Plan, error) {
	switch name {
	case PlanFree:
		return Plan{Name: PlanFree, Limits: Limits{
			Tunnels:          limit(10),
			Reservations:     limit(1),
			Domains:          limit(2),
			BandwidthBytes:   limit(50 * gib),
			CaptureBodyBytes: 1 * mib,
			RetentionDays:    14,
		}}, nil
	case PlanPro:
		return Plan{Name: PlanPro, Limits: Limits{
			CaptureBodyBytes: 10 * mib,
			RetentionDays:    90,
		}}, nil
	}
	return Plan{}, Errorf(CodeInvalid, "unknown plan %q (supported: %s, %s)", name, PlanFree, PlanPro)
}

// PlanNames lists the built-in plans.
func PlanNames() []string { return []string{PlanFree, PlanPro} }

// Allows reports whether using one more of a limit keeps within it.
func Allows(limit *int64, used int64) bool {
	return limit == nil || used < *limit
}
