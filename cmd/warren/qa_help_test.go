package main

import (
	"strings"
	"testing"

	"warren/cmd/warren/internal/warrentest"
)

// Every command's help keeps its flag column narrow, so descriptions stay
// readable in a terminal: a flag usage with backquotes (`PATH set|unset
// ZONE …`) becomes the flag's argument name, and pushed every description
// of `warren serve --help` 45 columns to the right.
func TestEveryCommandsFlagColumnIsNarrow(t *testing.T) {
	const maxColumn = 40
	for _, cmd := range commandPaths(t) {
		out := warrentest.MustRun(t, append(cmd, "--help")...).Stdout
		for _, line := range strings.Split(out, "\n") {
			if !strings.HasPrefix(strings.TrimSpace(line), "-") {
				continue
			}
			// "      --name type   description": the description starts after a gap of 2+ spaces.
			trimmed := strings.TrimLeft(line, " ")
			i := strings.Index(trimmed, "  ")
			if col := len(line) - len(trimmed) + i; i > 0 && col > maxColumn {
				t.Errorf("warren %s --help: flag column %d wide (max %d): %q", strings.Join(cmd, " "), col, maxColumn, line)
			}
		}
	}
}

// commandPaths lists every command of `warren help`'s tree, as arguments.
func commandPaths(t *testing.T) [][]string {
	out := warrentest.MustRun(t, "help").Stdout
	var paths [][]string
	var stack []string
	in := false
	for _, line := range strings.Split(out, "\n") {
		if line == "commands:" {
			in = true
			continue
		}
		if !in || strings.TrimSpace(line) == "" {
			if in && len(paths) > 0 {
				break
			}
			continue
		}
		depth := (len(line)-len(strings.TrimLeft(line, " ")))/2 - 1
		name := strings.Fields(line)[0]
		stack = append(stack[:depth], name)
		paths = append(paths, append([]string(nil), stack...))
	}
	if len(paths) < 20 {
		t.Fatalf("found only %d commands in `warren help`:\n%s", len(paths), out)
	}
	return paths
}
