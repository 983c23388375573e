package domain_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"warren/domain"
)

func mustPlan(t testing.TB, name string) domain.Plan {
	t.Helper()
	p, err := domain.PlanByName(name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func wantCode(t *testing.T, err error, want domain.Code) {
	t.Helper()
	if got := domain.ErrorCode(err); got != want {
		t.Fatalf("err = %v (code %q), want code %q", err, got, want)
	}
}

func TestNormalizeEmail(t *testing.T) {
	ok := map[string]string{
		"Alice@Example.COM":    "alice@example.com",
		"  bob@example.org \n": "bob@example.org",
		"op@localhost":         "op@localhost",
		"a+tag@sub.example.io": "a+tag@sub.example.io",
		"weird@at@example.com": "weird@at@example.com",
	}
	for in, want := range ok {
		t.Run("OK_"+want, func(t *testing.T) {
			got, err := domain.NormalizeEmail(in)
			if err != nil || got != want {
				t.Fatalf("NormalizeEmail(%q) = %q, %v; want %q", in, got, err, want)
			}
		})
	}
	for _, in := range []string{"", "alice", "@example.com", "alice@", "alice@example", "a b@example.com",
		"<a@example.com>", "a@example.com,b@example.com", strings.Repeat("a", 250) + "@x.io"} {
		t.Run("Err_"+in, func(t *testing.T) {
			_, err := domain.NormalizeEmail(in)
			wantCode(t, err, domain.CodeInvalid)
		})
	}
}

func TestValidateName(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		for _, n := range []string{"", "Alice", "Zoë's laptop", strings.Repeat("x", 200)} {
			if err := domain.ValidateName("name", n); err != nil {
				t.Errorf("ValidateName(%q) = %v", n, err)
			}
		}
	})
	t.Run("Err", func(t *testing.T) {
		for _, n := range []string{strings.Repeat("x", 201), "a\nb", "tab\t", "del\x7f"} {
			wantCode(t, domain.ValidateName("name", n), domain.CodeInvalid)
		}
	})
}

func TestClaimSubdomain(t *testing.T) {
	tests := []struct {
		name              string
		holder, liveOwner string
		want              domain.Code
	}{
		{"Free", "", "", ""},
		{"ReservedByCaller", "acc_me", "", ""},
		{"ReservedByCallerLiveByCaller", "acc_me", "acc_me", ""},
		{"ReservedByOther", "acc_other", "", domain.CodeConflict},
		{"ReservedByOtherLiveByOther", "acc_other", "acc_other", domain.CodeConflict},
		{"LiveByOther", "", "acc_other", domain.CodeConflict},
		{"LiveByCaller", "", "acc_me", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantCode(t, domain.ClaimSubdomain("acc_me", "myapp", tt.holder, tt.liveOwner), tt.want)
		})
	}
}

func TestCheckReserve(t *testing.T) {
	free, pro := mustPlan(t, "free"), mustPlan(t, "pro")
	tests := []struct {
		name   string
		plan   domain.Plan
		sub    string
		holder string
		used   int64
		want   domain.Code
		msg    string // in the error's message
	}{
		{"OK", free, "myapp", "", 0, "", ""},
		{"OKProMany", pro, "myapp", "", 1000, "", ""},
		{"ErrInvalid", free, "My_App", "", 0, domain.CodeInvalid, ""},
		{"ErrReservedWord", pro, "admin", "", 0, domain.CodeInvalid, ""},
		{"ErrHeldByOther", free, "myapp", "acc_other", 0, domain.CodeConflict, "reserved by another account"},
		{"ErrHeldByCaller", pro, "myapp", "acc_me", 0, domain.CodeConflict, "you have already reserved"},
		{"ErrQuotaFree", free, "myapp", "", 1, domain.CodeQuota, ""},
		{"InvalidBeatsQuota", free, "ab", "", 5, domain.CodeInvalid, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := domain.CheckReserve(tt.plan, tt.sub, tt.holder, "acc_me", tt.used)
			wantCode(t, err, tt.want)
			if tt.msg != "" && !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("message %q, want %q in it", err, tt.msg)
			}
		})
	}
}

func TestCheckAddDomain(t *testing.T) {
	free, pro := mustPlan(t, "free"), mustPlan(t, "pro")
	mine := domain.CustomDomain{AccountID: "acc_me", Name: "shop.example.com", State: domain.DomainPending}
	otherPending := domain.CustomDomain{AccountID: "acc_other", Name: "shop.example.com", State: domain.DomainPending}
	otherVerified := domain.CustomDomain{AccountID: "acc_other", Name: "shop.example.com", State: domain.DomainVerified}
	tests := []struct {
		name   string
		plan   domain.Plan
		host   string
		owners []domain.CustomDomain
		used   int64
		want   domain.Code
	}{
		{"OK", free, "shop.example.com", nil, 0, ""},
		{"OKOtherPending", free, "shop.example.com", []domain.CustomDomain{otherPending}, 1, ""},
		{"OKProMany", pro, "shop.example.com", nil, 500, ""},
		{"ErrInvalid", free, "Shop.Example.com", nil, 0, domain.CodeInvalid},
		{"ErrBaseDomain", pro, "warren.test", nil, 0, domain.CodeInvalid},
		{"ErrUnderBaseDomain", pro, "a.b.warren.test", nil, 0, domain.CodeInvalid},
		{"OKSuffixNotUnderBase", pro, "notwarren.test", nil, 0, ""},
		{"ErrAlreadyMine", pro, "shop.example.com", []domain.CustomDomain{mine}, 1, domain.CodeConflict},
		{"ErrVerifiedByOther", pro, "shop.example.com", []domain.CustomDomain{otherPending, otherVerified}, 0, domain.CodeConflict},
		{"ErrQuota", free, "shop.example.com", nil, 2, domain.CodeQuota},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantCode(t, domain.CheckAddDomain(tt.plan, "acc_me", tt.host, "warren.test", tt.owners, tt.used), tt.want)
		})
	}
}

func TestCheckOpenTunnel(t *testing.T) {
	free, pro := mustPlan(t, "free"), mustPlan(t, "pro")
	for _, tt := range []struct {
		plan          domain.Plan
		proto         string
		live, liveTCP int64
		want          domain.Code
	}{
		{free, "http", 0, 0, ""}, {free, "http", 9, 0, ""}, {free, "http", 10, 0, domain.CodeQuota}, {free, "http", 11, 0, domain.CodeQuota},
		{pro, "http", 10, 0, ""}, {pro, "http", 1 << 30, 0, ""},
		// TCP tunnels hold ports of a range every account shares: capped on
		// every plan, and still counted as tunnels.
		{free, "tcp", 1, 1, ""}, {free, "tcp", 2, 2, domain.CodeQuota}, {free, "http", 2, 2, ""},
		{free, "tcp", 10, 0, domain.CodeQuota},
		{pro, "tcp", 99, 99, ""}, {pro, "tcp", 100, 100, domain.CodeQuota}, {pro, "http", 5000, 100, ""},
	} {
		t.Run(fmt.Sprintf("%s_%s_%d_%d", tt.plan.Name, tt.proto, tt.live, tt.liveTCP), func(t *testing.T) {
			wantCode(t, domain.CheckOpenTunnel(tt.plan, tt.proto, tt.live, tt.liveTCP), tt.want)
		})
	}
}

func TestCustomDomain_ChallengeName(t *testing.T) {
	d := domain.CustomDomain{Name: "shop.example.com"}
	if got := d.ChallengeName(); got != "_warren-challenge.shop.example.com" {
		t.Fatalf("ChallengeName = %q", got)
	}
}

func TestError(t *testing.T) {
	t.Run("CodeAndMessage", func(t *testing.T) {
		cause := errors.New("disk on fire")
		err := fmt.Errorf("wrapped: %w", &domain.Error{Code: domain.CodeConflict, Message: "taken", Err: cause})
		wantCode(t, err, domain.CodeConflict)
		if domain.ErrorMessage(err) != "taken" || !errors.Is(err, cause) {
			t.Fatalf("message %q, Is(cause) %v", domain.ErrorMessage(err), errors.Is(err, cause))
		}
	})
	t.Run("PlainIsInternal", func(t *testing.T) {
		err := errors.New("boom")
		wantCode(t, err, domain.CodeInternal)
		if domain.ErrorMessage(err) != "internal error" {
			t.Fatalf("internal details leaked: %q", domain.ErrorMessage(err))
		}
		if domain.ErrorMessage(domain.Errorf(domain.CodeInternal, "secret path /x")) != "internal error" {
			t.Fatal("internal *Error message leaked")
		}
	})
	t.Run("Nil", func(t *testing.T) {
		if domain.ErrorCode(nil) != "" {
			t.Fatal("nil has a code")
		}
	})
}
