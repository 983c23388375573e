package edge

import (
	"context"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"
	bolt "go.etcd.io/bbolt"

	"warren/domain"
	"warren/edge/agent"
	"warren/edge/wire"
	"warren/projections"
)

// replayRig is a tunnel "marked" with one captured POST, an origin that
// reports what it got, and the request lines its agent receives.
type replayRig struct {
	te     *testEdge
	acc    string
	orig   domain.CapturedRequest
	id     ulid.ULID
	got    chan *http.Request // with Body replaced by its bytes, read
	bodies chan string
	lines  chan wire.RequestLine
}

func newReplayRig(t *testing.T) *replayRig {
	te := MustEdge(t)
	acc, key := te.MustAccount(t, "marked@example.com", "pro")
	rr := &replayRig{te: te, acc: acc, got: make(chan *http.Request, 10), bodies: make(chan string, 10), lines: make(chan wire.RequestLine, 10)}
	origin := MustOrigin(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rr.got <- r
		rr.bodies <- string(b)
		w.WriteHeader(200)
	}))
	ag := te.MustAgent(t, key, func(o *agent.Options) {
		o.OnRequest = func(l wire.RequestLine) {
			select {
			case rr.lines <- l:
			default:
			}
		}
	})
	MustOpenHTTP(t, ag, origin, "marked")
	req, _ := http.NewRequest("POST", te.url("marked", "/hook?a=1"), strings.NewReader(`{"id":"evt_1"}`))
	req.Header.Set("Stripe-Signature", "t=1,v1=abc")
	res, err := te.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	<-rr.got
	<-rr.bodies
	rr.orig = te.waitCaptured(t, acc, 1)[0]
	rr.id = ulid.MustParse(rr.orig.ID)
	rr.nextLine(t) // the original's
	return rr
}

func (rr *replayRig) nextLine(t *testing.T) wire.RequestLine {
	t.Helper()
	select {
	case l := <-rr.lines:
		return l
	case <-time.After(10 * time.Second):
		t.Fatal("no request line reached the agent")
		return wire.RequestLine{}
	}
}

// replay runs one replay and returns its capture as Replay answered it,
// as the index keeps it and as its event holds it, and the agent's line.
func (rr *replayRig) replay(t *testing.T, o domain.ReplayOverrides) (answered, summary, stored domain.CapturedRequest, line wire.RequestLine) {
	t.Helper()
	cr, err := rr.te.srv.Replay(context.Background(), rr.acc, "marked", rr.id, o)
	if err != nil {
		t.Fatal(err)
	}
	<-rr.got
	<-rr.bodies
	id := ulid.MustParse(cr.ID)
	summary, err = projections.View(rr.te.log.DB(), func(tx *bolt.Tx) (domain.CapturedRequest, error) {
		return projections.RequestSummary(tx, rr.acc, id)
	})
	if err != nil {
		t.Fatal(err)
	}
	return cr, summary, rr.te.request(t, rr.acc, cr.ID), rr.nextLine(t)
}

func TestReplayRecordsWhatItsOverridesChanged(t *testing.T) {
	rr := newReplayRig(t)
	str := func(s string) *string { return &s }
	for _, tc := range []struct {
		name string
		o    domain.ReplayOverrides
		want []string
	}{
		{"faithful", domain.ReplayOverrides{}, nil},
		// Overrides that send what was captured change nothing.
		{"same values", domain.ReplayOverrides{Method: str("post"), Path: str("/hook?a=1"), Body: str(`{"id":"evt_1"}`),
			Headers: map[string]string{"stripe-signature": "t=1,v1=abc", "X-Absent": ""}}, nil},
		{"body", domain.ReplayOverrides{Body: str(`{"id":"evt_2"}`)}, []string{"body"}},
		{"same-length body", domain.ReplayOverrides{Body: str(`{"id":"evt_X"}`)}, []string{"body"}},
		{"header removed", domain.ReplayOverrides{Headers: map[string]string{"Stripe-Signature": ""}}, []string{"headers"}},
		{"path", domain.ReplayOverrides{Path: str("/hook?a=2")}, []string{"path"}},
		{"everything", domain.ReplayOverrides{Method: str("PUT"), Path: str("/other"), Body: str("x"),
			Headers: map[string]string{"X-New": "1"}}, []string{"method", "path", "headers", "body"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			answered, summary, stored, line := rr.replay(t, tc.o)
			for what, got := range map[string][]string{"answer": answered.Overrides, "summary": summary.Overrides,
				"event": stored.Overrides, "agent line": line.Overrides} {
				if !slices.Equal(got, tc.want) {
					t.Errorf("%s: overrides %q, want %q", what, got, tc.want)
				}
			}
			want := domain.RequestIDPrefix + rr.orig.ID
			if stored.ReplayOf != want || summary.ReplayOf != want || line.ReplayOf != want {
				t.Errorf("replayOf: event %q, summary %q, line %q; want %q", stored.ReplayOf, summary.ReplayOf, line.ReplayOf, want)
			}
		})
	}
}

func TestReplayMarkHeaderIsOptIn(t *testing.T) {
	rr := newReplayRig(t)
	for _, mark := range []bool{false, true} {
		cr, err := rr.te.srv.Replay(context.Background(), rr.acc, "marked", rr.id, domain.ReplayOverrides{MarkReplay: mark})
		if err != nil {
			t.Fatal(err)
		}
		r, body := <-rr.got, <-rr.bodies
		got := r.Header.Values(ReplayOfHeader)
		switch {
		case !mark && len(got) != 0:
			t.Errorf("an unmarked replay reached the local service with %s: %q", ReplayOfHeader, got)
		case mark && (len(got) != 1 || got[0] != domain.RequestIDPrefix+rr.orig.ID):
			t.Errorf("a marked replay reached the local service with %s: %q, want %s", ReplayOfHeader, got, domain.RequestIDPrefix+rr.orig.ID)
		}
		if body != `{"id":"evt_1"}` || r.Header.Get("Stripe-Signature") != "t=1,v1=abc" || r.Method != "POST" || r.URL.RequestURI() != "/hook?a=1" {
			t.Errorf("mark=%v: the replay was not the capture: %s %s %q", mark, r.Method, r.URL, body)
		}
		if len(cr.Overrides) != 0 {
			t.Errorf("mark=%v: the mark counted as an override: %q", mark, cr.Overrides)
		}
		rr.nextLine(t)
	}
}
