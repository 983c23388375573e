package domain_test

import (
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
			{"domains", l.Domains, 2},
			{"bandwidth", l.BandwidthBytes, 50 << 30},
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
		if l.Tunnels != nil || l.Reservations != nil || l.Domains != nil || l.BandwidthBytes != nil {
			t.Errorf("pro limits not all unlimited: %+v", l)
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
