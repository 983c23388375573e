package domain

import (
	"strings"
	"testing"
	"time"
)

func TestCheckNameHeld(t *testing.T) {
	closed := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	gone := Tunnel{ID: "tun_1", AccountID: "acc_owner", ClosedAt: &closed, CloseReason: CloseAgentGone}
	released := gone
	released.CloseReason = CloseReleased
	shutdown := gone
	shutdown.CloseReason = CloseShutdown
	live := gone
	live.ClosedAt = nil
	for _, tc := range []struct {
		name    string
		account string
		held    Tunnel
		now     time.Time
		want    Code
	}{
		{"OK/NothingHeld", "acc_other", Tunnel{}, closed, ""},
		{"OK/Owner", "acc_owner", gone, closed.Add(time.Second), ""},
		{"ErrConflict/OtherWithinHold", "acc_other", gone, closed.Add(time.Second), CodeConflict},
		{"ErrConflict/OtherJustBeforeTheEnd", "acc_other", gone, closed.Add(ReconnectHold - time.Nanosecond), CodeConflict},
		{"OK/OtherAfterHold", "acc_other", gone, closed.Add(ReconnectHold), ""},
		{"ErrConflict/ShutdownWithinHold", "acc_other", shutdown, closed.Add(time.Second), CodeConflict},
		{"OK/ShutdownAfterHold", "acc_other", shutdown, closed.Add(ReconnectHold), ""},
		{"OK/ReleasedIsNotHeld", "acc_other", released, closed.Add(time.Second), ""},
		{"OK/LiveIsDecidedElsewhere", "acc_other", live, closed.Add(time.Second), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckNameHeld(tc.account, "hooks", tc.held, tc.now)
			if got := ErrorCode(err); (err == nil) != (tc.want == "") || err != nil && got != tc.want {
				t.Fatalf("got %v, want code %q", err, tc.want)
			}
		})
	}
}

func TestValidateLocal(t *testing.T) {
	for _, tc := range []struct {
		local string
		ok    bool
	}{
		{"127.0.0.1:3000", true},
		{"localhost:8080", true},
		{"[::1]:3000", true},
		{"my-box.lan:443", true},
		{"host_name.internal:1", true},
		{"10.0.0.2:65535", true},
		{"", false},
		{"3000", false},
		{":3000", false},
		{"localhost:0", false},
		{"localhost:65536", false},
		{"localhost:http", false},
		{"local host:3000", false},
		{"localhost:3000\n", false},
		{"evil\x00:3000", false},
		{"<script>:3000", false},
		{"[::1:3000", false},
		{strings.Repeat("a", 253) + ":3000", true},
		{strings.Repeat("a", 254) + ":3000", false},
		{strings.Repeat("a", 5000) + ":3000", false},
	} {
		err := ValidateLocal(tc.local)
		if (err == nil) != tc.ok || err != nil && ErrorCode(err) != CodeInvalid {
			t.Errorf("ValidateLocal(%.40q) = %v, want ok %v", tc.local, err, tc.ok)
		}
	}
}
