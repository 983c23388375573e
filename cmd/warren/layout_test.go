package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportArrowsPointOneWay: cmd → httpapi/edge → projections → events →
// domain. Nothing outside cmd imports cmd (tests included); httpapi and
// edge do not import each other.
func TestImportArrowsPointOneWay(t *testing.T) {
	out, err := exec.Command("go", "list", "-f",
		`{{.ImportPath}}|{{join .Imports " "}}|{{join .TestImports " "}} {{join .XTestImports " "}}`, "warren/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	// layer is a package's place in the arrow; -1 for non-warren imports.
	layer := func(p string) int {
		for i, root := range []string{"warren/domain", "warren/events", "warren/projections", "warren/edge", "warren/httpapi", "warren/cmd"} {
			if p == root || strings.HasPrefix(p, root+"/") {
				return []int{0, 1, 2, 3, 3, 4}[i]
			}
		}
		return -1
	}
	tree := func(p string) string { // "warren/edge/wire" → "edge"
		return strings.SplitN(strings.TrimPrefix(p, "warren/"), "/", 2)[0]
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		parts := strings.SplitN(line, "|", 3)
		pkg, imports, testImports := parts[0], strings.Fields(parts[1]), strings.Fields(parts[2])
		from := layer(pkg)
		for _, imp := range imports {
			to := layer(imp)
			switch {
			case to < 0 || tree(imp) == tree(pkg):
			case to >= from:
				t.Errorf("%s imports %s: arrows point cmd → httpapi/edge → projections → events → domain", pkg, imp)
			}
		}
		if from < 4 {
			for _, imp := range testImports {
				if layer(imp) == 4 {
					t.Errorf("the tests of %s import %s: nothing outside cmd imports cmd", pkg, imp)
				}
			}
		}
	}
}
