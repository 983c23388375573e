package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"warren/cmd/warren/internal/command"
	"warren/domain"
)

// replayEdits are replay's --method, --path, --header and --body-file: the
// API's replay overrides (domain.ReplayOverrides).
type replayEdits struct {
	method, path, bodyFile *string
	headers                headerFlags
}

func addReplayEdits(fs *flag.FlagSet) *replayEdits {
	r := &replayEdits{
		method:   fs.String("method", "", "send with this method instead of the captured one"),
		path:     fs.String("path", "", "send to this path (with its query) instead of the captured one; starts with /"),
		bodyFile: fs.String("body-file", "", "send this file's bytes as the body (- reads stdin); needed when the captured body was truncated or pruned"),
	}
	fs.Var(&r.headers, "header", "set a header, `K:V` (repeatable); K: with no value removes it")
	return r
}

// headerFlags collects repeated --header K:V.
type headerFlags map[string]string

func (h *headerFlags) String() string { return "" }

func (h *headerFlags) Set(kv string) error {
	k, v, ok := strings.Cut(kv, ":")
	if k = strings.TrimSpace(k); !ok || k == "" {
		return fmt.Errorf("%q is not K:V", kv)
	}
	if *h == nil {
		*h = headerFlags{}
	}
	(*h)[k] = strings.TrimSpace(v)
	return nil
}

// overrides reads the body file and checks the edits as the API will
// (exit 2 before anything is sent); edited names what they change.
func (r *replayEdits) overrides(stdin io.Reader) (o domain.ReplayOverrides, edited []string, err error) {
	if *r.method != "" {
		o.Method, edited = r.method, append(edited, "method")
	}
	if *r.path != "" {
		o.Path, edited = r.path, append(edited, "path")
	}
	if len(r.headers) > 0 {
		o.Headers, edited = r.headers, append(edited, "headers")
	}
	if *r.bodyFile != "" {
		var b []byte
		if *r.bodyFile == "-" {
			b, err = io.ReadAll(stdin)
		} else {
			b, err = os.ReadFile(*r.bodyFile)
		}
		if err != nil {
			return o, nil, &command.ExitError{Code: 2, Err: fmt.Errorf("--body-file: %w", err)}
		}
		// The API takes the body as a JSON string: bytes that are not UTF-8
		// would arrive changed.
		if !utf8.Valid(b) {
			return o, nil, &command.ExitError{Code: 2, Err: fmt.Errorf("--body-file %s is not UTF-8 text; the API's body override is a JSON string and would change its bytes", *r.bodyFile)}
		}
		s := string(b)
		o.Body, edited = &s, append(edited, "body")
	}
	if err := o.Validate(); err != nil {
		return o, nil, &command.ExitError{Code: 2, Err: errors.New(domain.ErrorMessage(err))}
	}
	return o, edited, nil
}

// bodyFlagHint names --body-file where the API asks for "a body override".
func bodyFlagHint(err error) error {
	if err != nil && strings.Contains(err.Error(), "pass a body override") {
		return errors.New(strings.Replace(err.Error(), "pass a body override", "pass the whole body with --body-file FILE (- for stdin)", 1))
	}
	return err
}
