package httpapi

import (
	"testing"
)

func TestNew(t *testing.T) {
	t.Run("ErrMissingDeps", func(t *testing.T) {
		if _, err := New(Config{}); err == nil {
			t.Fatal("New accepted an empty Config")
		}
	})
	t.Run("OK", func(t *testing.T) {
		e := mustEnv(t)
		if len(e.srv.Routes()) < 10 {
			t.Fatalf("only %d routes", len(e.srv.Routes()))
		}
	})
}
