package cli

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"warren/cmd/warren/internal/warrentest"
	"warren/domain"
	"warren/events"
)

func TestRequestsExport(t *testing.T) {
	s := startAPIServer(t, "")
	env := append(warrentest.CLIEnv(t), "WARREN_SERVER="+s.URL, "WARREN_API_KEY="+s.key)
	var me struct{ ID string }
	warrentest.CLIJSON(t, env, &me, "login", "--server", s.URL, "--key", s.key)
	for i, path := range []string{"/hook/a", "/hook/b"} {
		body := []byte(`{"n":` + string(rune('1'+i)) + `}`)
		if _, err := s.Log.Append(context.Background(), events.Draft{Type: events.RequestCaptured, Account: me.ID, Data: domain.CapturedRequest{
			Tunnel: "app", Kind: domain.KindHTTP, Method: "POST", Path: path, Status: 200, DurationMs: 12.5, TTFBMs: 10,
			BytesIn: int64(len(body)), BytesOut: 2, IP: "127.0.0.1", Proto: "HTTP/1.1", Host: "app.localhost",
			ReqHeaders: map[string][]string{"Content-Type": {"application/json"}},
			ReqBody:    domain.BodyInfo{Size: int64(len(body)), Stored: int64(len(body))},
			RespBody:   domain.BodyInfo{Size: 2, Stored: 2}},
			Bodies: [][]byte{body, []byte("ok")}}); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("HAR", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "app.har")
		warrentest.CLIOK(t, env, "requests", "export", "--tunnel", "app", "--format", "har", "--out", out)
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		var har struct {
			Log struct {
				Version string
				Entries []struct {
					Request struct {
						Method, URL string
						PostData    struct{ Text string }
					}
					Response struct{ Content struct{ Text string } }
				}
			}
		}
		if err := json.Unmarshal(b, &har); err != nil {
			t.Fatalf("%v\n%s", err, b)
		}
		es := har.Log.Entries
		if har.Log.Version != "1.2" || len(es) != 2 || es[0].Request.URL != "http://app.localhost/hook/a" ||
			es[1].Request.PostData.Text != `{"n":2}` || es[1].Response.Content.Text != "ok" {
			t.Fatalf("HAR %+v", har)
		}
	})
	t.Run("NDJSON", func(t *testing.T) {
		out := warrentest.CLIOK(t, env, "requests", "export", "--tunnel", "app", "--format", "ndjson")
		sc := bufio.NewScanner(strings.NewReader(out))
		var paths []string
		for sc.Scan() {
			var l struct {
				Path              string
				RequestBodyBase64 string
			}
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				t.Fatalf("%q: %v", sc.Text(), err)
			}
			body, _ := base64.StdEncoding.DecodeString(l.RequestBodyBase64)
			paths = append(paths, l.Path+" "+string(body))
		}
		if strings.Join(paths, ",") != `/hook/a {"n":1},/hook/b {"n":2}` {
			t.Fatalf("ndjson lines %v", paths)
		}
	})
	t.Run("ErrUsage", func(t *testing.T) {
		warrentest.CLIFails(t, env, "--tunnel is required", "requests", "export")
		warrentest.CLIFails(t, env, "--format must be", "requests", "export", "--tunnel", "app", "--format", "csv")
		warrentest.CLIFails(t, env, "since", "requests", "export", "--tunnel", "app", "--since", "yesterday")
	})
}
