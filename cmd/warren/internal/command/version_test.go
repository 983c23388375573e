package command

import (
	"runtime/debug"
	"strings"
	"testing"
)

// The version line names the module version, the commit (marked +dirty
// when the tree was modified) and the Go version, from the build info.
func TestVersionNamesModuleCommitAndGo(t *testing.T) {
	bi := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "warren", Version: "v1.4.0"}, Settings: []debug.BuildSetting{
		{Key: "vcs", Value: "git"},
		{Key: "vcs.revision", Value: "3f2a9c1d0b7e55aa00112233445566778899aabb"},
		{Key: "vcs.time", Value: "2026-12-07T05:00:00Z"},
		{Key: "vcs.modified", Value: "true"},
	}}
	if got, want := versionFrom(bi), "warren v1.4.0 (commit 3f2a9c1d0b7e+dirty, built 2026-12-07T05:00:00Z) go1.26.8"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	bi.Settings[3].Value = "false"
	if got := versionFrom(bi); !strings.Contains(got, "commit 3f2a9c1d0b7e,") {
		t.Errorf("clean tree: got %q, want the commit without +dirty", got)
	}
	bi.Main.Version, bi.Settings = "", nil
	if got := versionFrom(bi); !strings.HasPrefix(got, "warren (devel) (commit unknown") || !strings.HasSuffix(got, " go1.26.8") {
		t.Errorf("no VCS stamp: got %q", got)
	}
	if got := Version(); !strings.Contains(got, "go1.") {
		t.Errorf("Version() = %q: want the Go version of this binary", got)
	}
}
