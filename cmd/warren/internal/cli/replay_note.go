package cli

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
)

// replayNote marks a replay for people: "↻ replay of req_…", and when the
// replay changed the request (modified, or the overrides it names), what
// it changed: "↻ replay of req_…, edited: body, headers". A faithful
// replay then reads apart from one that did not send the original bytes.
// "" for a request that is no replay. overrides are field names; the API's
// JSON gives them through overrideNames.
func replayNote(replayOf string, modified bool, names []string) string {
	if replayOf == "" {
		return ""
	}
	s := "↻ replay of " + replayOf
	switch {
	case len(names) > 0:
		s += ", edited: " + strings.Join(names, ", ")
	case modified:
		s += ", edited"
	}
	return s
}

// overrideNames reads the API's `overrides` as a list of field names,
// whether it is sent as ["body", …] or as an object keyed by field.
func overrideNames(raw json.RawMessage) []string {
	if len(raw) == 0 {
		return nil
	}
	var list []string
	if json.Unmarshal(raw, &list) == nil {
		return list
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) == nil {
		return slices.Sorted(maps.Keys(obj))
	}
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
