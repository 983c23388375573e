package agent

import "testing"

func TestNormalizeLocal(t *testing.T) {
	for in, want := range map[string]string{
		"3000": "127.0.0.1:3000", ":3000": "127.0.0.1:3000", "localhost:8080": "localhost:8080",
		"http://localhost:3000/": "localhost:3000", "10.0.0.2:22": "10.0.0.2:22",
	} {
		if got, err := NormalizeLocal(in); err != nil || got != want {
			t.Errorf("NormalizeLocal(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	t.Run("ErrGarbage", func(t *testing.T) {
		for _, in := range []string{"a:b:c", "abc", "0", "70000", "-1", "localhost:", "localhost:http", "http://localhost"} {
			if got, err := NormalizeLocal(in); err == nil {
				t.Errorf("accepted %q as %q", in, got)
			}
		}
	})
}
