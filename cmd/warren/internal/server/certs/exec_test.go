package certs

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/libdns/libdns"
)

func TestExec_RunsTheScriptWithZoneNameAndValue(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "calls")
	script := filepath.Join(dir, "dns.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho \"$@\" >> "+out+"\n[ \"$3\" != fail.warren.test ] || { echo no such zone >&2; exit 3; }\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p := &Exec{Path: script}
	rec := []libdns.Record{libdns.TXT{Name: "_acme-challenge", Text: "tok"}}
	t.Run("OK", func(t *testing.T) {
		if _, err := p.AppendRecords(ctx, "warren.test.", rec); err != nil {
			t.Fatal(err)
		}
		if _, err := p.DeleteRecords(ctx, "warren.test.", rec); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(out)
		want := "set warren.test _acme-challenge.warren.test tok\nunset warren.test _acme-challenge.warren.test tok\n"
		if string(b) != want {
			t.Fatalf("script saw %q, want %q", b, want)
		}
	})
	t.Run("ErrScriptFails", func(t *testing.T) {
		_, err := p.AppendRecords(ctx, "warren.test.", []libdns.Record{libdns.TXT{Name: "fail", Text: "x"}})
		if err == nil || !strings.Contains(err.Error(), "no such zone") {
			t.Fatalf("%v, want the script's output in the error", err)
		}
	})
}
