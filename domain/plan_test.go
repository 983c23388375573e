package domain_test

import (
	"reflect"
	"testing"

	"warren/domain"
)

func ptr(n int64) *int64 { return &n }

func TestPlanByName(t *testing.T) {
	t.Run("Free", func(t *testing.T) {
		p, err := domain.PlanByName("free")
		if err != nil {
			t.Fatal(err)
		}
		l := p.Limits
		if p.Name != "free" {
			t.Fatalf("name = %q", p.Name)
		}
		for _, c := range []struct {
			what string
			got  *int64
			want int64
		}{
			{"tunnels", l.Tunnels, 10},
			{"reservations", l.Reservations, 1},
			{"reserved TCP ports", l.ReservedPorts, 1},
			{"domains", l.Domains, 2},
			{"bandwidth", l.BandwidthBytes, 50 << 30},
			{"agent sessions", l.AgentSessions, 10},
			{"agent sessions per key", l.AgentSessionsPerKey, 5},
		} {
			if c.got == nil || *c.got != c.want {
				t.Errorf("free %s = %v, want %d", c.what, c.got, c.want)
			}
		}
		if l.CaptureBodyBytes != 1<<20 || l.RetentionDays != 14 {
			t.Errorf("free capture/retention = %d/%d, want 1 MiB/14", l.CaptureBodyBytes, l.RetentionDays)
		}
	})
	t.Run("Pro", func(t *testing.T) {
		p, err := domain.PlanByName("pro")
		if err != nil {
			t.Fatal(err)
		}
		l := p.Limits
		if l.Tunnels != domain.Unlimited() || l.Reservations != domain.Unlimited() || l.Domains != domain.Unlimited() || l.BandwidthBytes != domain.Unlimited() {
			t.Errorf("pro tunnels, reservations, domains, bandwidth not unlimited: %+v", l)
		}
		if l.ReservedPorts == nil || *l.ReservedPorts != 20 {
			t.Errorf("pro reserved TCP ports = %v, want 20 (a range all accounts share)", l.ReservedPorts)
		}
		if l.AgentSessions == nil || *l.AgentSessions != 2000 || l.AgentSessionsPerKey == nil || *l.AgentSessionsPerKey != 1000 {
			t.Errorf("pro agent sessions = %v/%v per key, want 2000/1000", l.AgentSessions, l.AgentSessionsPerKey)
		}
		if l.CaptureBodyBytes != 10<<20 || l.RetentionDays != 90 {
			t.Errorf("pro capture/retention = %d/%d, want 10 MiB/90", l.CaptureBodyBytes, l.RetentionDays)
		}
	})
	t.Run("FreshValues", func(t *testing.T) {
		a, _ := domain.PlanByName("free")
		*a.Limits.Tunnels = 9999
		b, _ := domain.PlanByName("free")
		if *b.Limits.Tunnels != 10 {
			t.Fatalf("altering one plan value changed the built-in: %d", *b.Limits.Tunnels)
		}
	})
	t.Run("ErrUnknown", func(t *testing.T) {
		for _, name := range []string{"", "Free", "enterprise", " pro"} {
			_, err := domain.PlanByName(name)
			if domain.ErrorCode(err) != domain.CodeInvalid {
				t.Errorf("PlanByName(%q) err = %v, want invalid", name, err)
			}
		}
	})
	t.Run("Names", func(t *testing.T) {
		for _, n := range domain.PlanNames() {
			if _, err := domain.PlanByName(n); err != nil {
				t.Errorf("listed plan %q: %v", n, err)
			}
		}
	})
}

func TestAllows(t *testing.T) {
	tests := []struct {
		name  string
		limit *int64
		used  int64
		want  bool
	}{
		{"Unlimited", nil, 1 << 40, true},
		{"Below", ptr(2), 1, true},
		{"AtLimit", ptr(2), 2, false},
		{"Over", ptr(2), 3, false},
		{"ZeroLimit", ptr(0), 0, false},
		{"FirstOfOne", ptr(1), 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := domain.Allows(tt.limit, tt.used); got != tt.want {
				t.Fatalf("Allows(%v, %d) = %v, want %v", tt.limit, tt.used, got, tt.want)
			}
		})
	}
}

// Every plan states every limit: a pointer limit left nil must be one the
// plan documents as Unlimited() (listed here), and the limits that protect
// the server (agent sessions, capture, retention) are always numbers. A
// limit added to Limits and forgotten in a plan fails here.
func TestPlans_StateEveryLimit(t *testing.T) {
	unlimited := map[string]map[string]bool{
		domain.PlanFree: {},
		domain.PlanPro:  {"Tunnels": true, "Reservations": true, "Domains": true, "BandwidthBytes": true},
	}
	for _, name := range domain.PlanNames() {
		p, err := domain.PlanByName(name)
		if err != nil {
			t.Fatal(err)
		}
		v := reflect.ValueOf(p.Limits)
		for i := range v.NumField() {
			f, field := v.Field(i), v.Type().Field(i).Name
			switch f.Kind() {
			case reflect.Pointer:
				if f.IsNil() != unlimited[name][field] {
					t.Errorf("%s plan: %s unlimited = %v, documented %v", name, field, f.IsNil(), unlimited[name][field])
				}
				if !f.IsNil() && f.Elem().Int() < 0 {
					t.Errorf("%s plan: %s = %d", name, field, f.Elem().Int())
				}
			default:
				if f.IsZero() {
					t.Errorf("%s plan: %s not stated", name, field)
				}
			}
		}
	}
}

func TestCheckConnectAgent(t *testing.T) {
	free, _ := domain.PlanByName(domain.PlanFree)
	tests := []struct {
		name             string
		ofAccount, ofKey int64
		want             domain.Code
	}{
		{"OK", 0, 0, ""},
		{"LastOfKey", 4, 4, ""},
		{"ErrKeyFull", 5, 5, domain.CodeQuota},
		{"LastOfAccount", 9, 0, ""},
		{"ErrAccountFull", 10, 0, domain.CodeQuota},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := domain.CheckConnectAgent(free, tt.ofAccount, tt.ofKey)
			if domain.ErrorCode(err) != tt.want {
				t.Fatalf("CheckConnectAgent(%d, %d) = %v, want %q", tt.ofAccount, tt.ofKey, err, tt.want)
			}
		})
	}
}
