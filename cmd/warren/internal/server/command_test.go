package server

import (
	"slices"
	"testing"
)

func TestHeaderList(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
		err  bool
	}{
		{"", nil, false},
		{"x-api-key", []string{"X-Api-Key"}, false},
		{" X-Api-Key , ,x-hub-signature-256 ", []string{"X-Api-Key", "X-Hub-Signature-256"}, false},
		{"x api key", nil, true},
		{"x-key:", nil, true},
		{"x-ключ", nil, true},
	} {
		got, err := headerList(c.in)
		if (err != nil) != c.err || !slices.Equal(got, c.want) {
			t.Errorf("headerList(%q) = %q, %v; want %q, error %v", c.in, got, err, c.want, c.err)
		}
	}
}
