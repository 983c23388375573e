package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"warren/domain"
)

// maxBody is the largest request body the API reads.
const maxBody = 1 << 20

// writeJSON writes v as JSON with status. A write error means the client
// is gone; returning it from a handler is harmless (the headers are sent).
func writeJSON(w http.ResponseWriter, status int, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // next_page_uri keeps its "&"
	if err := enc.Encode(v); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

// decodeJSONBody reads a JSON object into v. The content type must be JSON
// or absent; curl's default application/x-www-form-urlencoded is accepted
// when the body parses as JSON (the seeds' own examples send it); anything
// else is 415. Over 1 MiB → CodeTooLarge; malformed JSON or a wrong type →
// CodeInvalid naming the field. Unknown fields are ignored (ngrok adds
// fields without a version bump; clients may too). An empty body decodes as {}.
func decodeJSONBody(r *http.Request, v any) error {
	ct := r.Header.Get("Content-Type")
	form := false
	if ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		switch {
		case err != nil:
			return &domain.Error{Code: codeUnsupportedMedia, Message: fmt.Sprintf("content type %q is not supported; send application/json", ct)}
		case mt == "application/json" || strings.HasSuffix(mt, "+json"):
		case mt == "application/x-www-form-urlencoded":
			form = true
		default:
			return &domain.Error{Code: codeUnsupportedMedia, Message: fmt.Sprintf("content type %q is not supported; send application/json", mt)}
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return domain.Errorf(domain.CodeTooLarge, "request body is larger than %d bytes", maxBody)
		}
		return domain.Errorf(domain.CodeInvalid, "reading request body: %v", err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	// curl -d sends JSON as a form: a body that looks like JSON is taken as
	// JSON, so a typo in it is a 400 naming the error, not a 415.
	if form && !json.Valid(body) && !looksLikeJSON(body) {
		return &domain.Error{Code: codeUnsupportedMedia, Message: "form bodies are not supported; send JSON (Content-Type: application/json)"}
	}
	return decodeStrict(body, v)
}

// decodeStrict unmarshals one JSON value and turns decoding errors into
// CodeInvalid messages that name the field.
func decodeStrict(body []byte, v any) error {
	return decodeWith(json.NewDecoder(bytes.NewReader(body)), v)
}

// decodeWith decodes one value with dec (set up by the caller, e.g. to
// refuse unknown fields) and words its errors for clients, naming the field.
func decodeWith(dec *json.Decoder, v any) error {
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		var se *json.SyntaxError
		switch {
		case errors.As(err, &te):
			field := te.Field
			if field == "" {
				return domain.Errorf(domain.CodeInvalid, "request body must be a JSON object")
			}
			return domain.Errorf(domain.CodeInvalid, "field %q must be a %s, not %s", field, jsonKind(te.Type.Kind().String()), te.Value)
		case errors.As(err, &se):
			return domain.Errorf(domain.CodeInvalid, "malformed JSON at byte %d: %v", se.Offset, err)
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			return domain.Errorf(domain.CodeInvalid, "unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
		default:
			return domain.Errorf(domain.CodeInvalid, "malformed JSON: %v", err)
		}
	}
	if dec.More() {
		return domain.Errorf(domain.CodeInvalid, "malformed JSON: more than one value in the body")
	}
	return nil
}

// jsonKind names a Go kind the way a JSON user thinks of it.
func jsonKind(k string) string {
	switch {
	case strings.HasPrefix(k, "int"), strings.HasPrefix(k, "uint"), strings.HasPrefix(k, "float"):
		return "number"
	case k == "bool":
		return "boolean"
	case k == "slice", k == "array":
		return "array"
	case k == "map", k == "struct":
		return "object"
	}
	return k
}

// looksLikeJSON reports whether body starts as a JSON object or array would.
func looksLikeJSON(body []byte) bool {
	b := bytes.TrimSpace(body)
	return len(b) > 0 && (b[0] == '{' || b[0] == '[')
}
