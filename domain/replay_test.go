package domain_test

import (
	"testing"

	"warren/domain"
)

func TestReplayOverrides_Validate(t *testing.T) {
	s := func(v string) *string { return &v }
	tests := []struct {
		name string
		o    domain.ReplayOverrides
		want domain.Code
	}{
		{"None", domain.ReplayOverrides{}, ""},
		{"All", domain.ReplayOverrides{Method: s("PUT"), Path: s("/a?b=c%20d"), Headers: map[string]string{"X-Env": "test", "Stripe-Signature": ""}, Body: s("{}")}, ""},
		{"LowercaseMethod", domain.ReplayOverrides{Method: s("post")}, ""},
		{"ErrEmptyMethod", domain.ReplayOverrides{Method: s("")}, domain.CodeInvalid},
		{"ErrMethodWithSpace", domain.ReplayOverrides{Method: s("GET /x")}, domain.CodeInvalid},
		{"ErrPathNoSlash", domain.ReplayOverrides{Path: s("x")}, domain.CodeInvalid},
		{"ErrPathSpace", domain.ReplayOverrides{Path: s("/a b")}, domain.CodeInvalid},
		{"ErrPathCRLF", domain.ReplayOverrides{Path: s("/a\r\nX: y")}, domain.CodeInvalid},
		{"ErrHeaderNameSpace", domain.ReplayOverrides{Headers: map[string]string{"Bad Header": "x"}}, domain.CodeInvalid},
		{"ErrHeaderNameEmpty", domain.ReplayOverrides{Headers: map[string]string{"": "x"}}, domain.CodeInvalid},
		{"ErrHeaderValueCRLF", domain.ReplayOverrides{Headers: map[string]string{"X-A": "a\r\nInjected: 1"}}, domain.CodeInvalid},
		{"ErrHost", domain.ReplayOverrides{Headers: map[string]string{"host": "evil.example"}}, domain.CodeInvalid},
		{"ErrContentLength", domain.ReplayOverrides{Headers: map[string]string{"Content-Length": "999"}}, domain.CodeInvalid},
		{"ErrTransferEncoding", domain.ReplayOverrides{Headers: map[string]string{"Transfer-Encoding": "chunked"}}, domain.CodeInvalid},
		{"ErrConnection", domain.ReplayOverrides{Headers: map[string]string{"Connection": "close"}}, domain.CodeInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.o.Validate(); domain.ErrorCode(err) != tt.want {
				t.Fatalf("Validate() = %v, want code %q", err, tt.want)
			}
		})
	}
}
