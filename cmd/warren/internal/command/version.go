package command

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Version describes this binary from the build info the Go toolchain
// stamps into it: module version, VCS commit (+dirty when built from a
// modified tree) and Go version, e.g.
// "warren v1.2.0 (commit 3f2a9c1d0b7e, built 2026-12-07T05:00:00Z) go1.26.8".
func Version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return versionFrom(nil)
	}
	return versionFrom(bi)
}

// versionFrom formats bi; nil (a binary built without module support)
// still names the Go version.
func versionFrom(bi *debug.BuildInfo) string {
	if bi == nil {
		return "warren (unknown version) " + runtime.Version()
	}
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var rev, at, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	out := "warren " + v
	if rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		out += fmt.Sprintf(" (commit %s%s", rev, dirty)
		if at != "" {
			out += ", built " + at
		}
		out += ")"
	} else {
		out += " (commit unknown: built without VCS stamping, e.g. -buildvcs=false)"
	}
	return out + " " + bi.GoVersion
}
