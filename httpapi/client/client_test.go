package client

import "testing"

func TestClient_New(t *testing.T) {
	for _, bad := range []string{"", "localhost:8080", "ftp://x", "http://"} {
		if _, err := New(bad, "k", nil); err == nil {
			t.Errorf("New(%q) did not fail", bad)
		}
	}
	c, err := New("http://localhost:8080/", "k", nil)
	if err != nil || c.BaseURL() != "http://localhost:8080" {
		t.Fatalf("New = %v, %v", c, err)
	}
}

func TestClient_SameServer(t *testing.T) {
	c, _ := New("https://api.example.com", "k", nil)
	for uri, want := range map[string]string{
		"http://api.example.com/v1/keys?before_id=key_1&limit=100": "https://api.example.com/v1/keys?before_id=key_1&limit=100",
		"/v1/keys?before_id=key_2":                                 "https://api.example.com/v1/keys?before_id=key_2",
	} {
		if got, err := c.sameServer(uri); err != nil || got != want {
			t.Errorf("sameServer(%q) = %q, %v; want %q", uri, got, err, want)
		}
	}
	if _, err := c.sameServer("https://evil.example.net/v1/keys"); err == nil {
		t.Error("a next_page_uri on another host was followed")
	}
}
