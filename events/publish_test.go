package events_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"
	"github.com/oklog/ulid/v2"

	"warren/domain"
	"warren/events"
)

func TestLog_Publish(t *testing.T) {
	bus := gochannel.NewGoChannel(gochannel.Config{OutputChannelBuffer: 64}, watermill.NopLogger{})
	t.Cleanup(func() { bus.Close() })
	l, _ := openLog(t, events.Options{Publisher: bus})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	all, err := bus.Subscribe(ctx, events.TopicEvents)
	if err != nil {
		t.Fatal(err)
	}
	reqs, err := bus.Subscribe(ctx, events.TopicRequests)
	if err != nil {
		t.Fatal(err)
	}
	receive := func(t *testing.T, ch <-chan *message.Message) *message.Message {
		t.Helper()
		select {
		case m := <-ch:
			m.Ack()
			return m
		case <-ctx.Done():
			t.Fatal("no message within 10 s")
			return nil
		}
	}
	t.Run("AfterCommit", func(t *testing.T) {
		evs := mustAppend(t, l, reservation("acc_p", "pub"))
		m := receive(t, all)
		if m.UUID != evs[0].ID.String() || m.Metadata.Get(events.MetaType) != string(events.ReservationCreated) ||
			m.Metadata.Get(events.MetaAccount) != "acc_p" {
			t.Fatalf("message %s %v, want %s", m.UUID, m.Metadata, evs[0].ID)
		}
		ev, err := events.Decode(m.Payload)
		if err != nil || ev.ID != evs[0].ID || string(ev.Data) != string(evs[0].Data) {
			t.Fatalf("payload decodes to %+v, %v", ev, err)
		}
		// The message means the event is committed: a reader finds it.
		if _, ok, err := l.Get(ulid.MustParse(m.UUID)); !ok || err != nil {
			t.Fatalf("published event not readable: %v %v", ok, err)
		}
	})
	t.Run("RequestsTopic", func(t *testing.T) {
		evs := mustAppend(t, l, events.Draft{Type: events.RequestCaptured, Account: "acc_p",
			Data: domain.CapturedRequest{TunnelID: "tun_1", Kind: domain.KindHTTP}})
		if m := receive(t, all); m.UUID != evs[0].ID.String() {
			t.Fatalf("events topic got %s", m.UUID)
		}
		if m := receive(t, reqs); m.UUID != evs[0].ID.String() {
			t.Fatalf("requests topic got %s", m.UUID)
		}
	})
	t.Run("CapturesOnePerAccountAndCommit", func(t *testing.T) {
		// One Append is one commit: 2 accounts × 40 captures wake each
		// subscriber twice, with each account's last capture.
		var drafts []events.Draft
		for i := range 80 {
			drafts = append(drafts, events.Draft{Type: events.RequestCaptured, Account: []string{"acc_a", "acc_b"}[i%2],
				Data: domain.CapturedRequest{TunnelID: "tun_1", Kind: domain.KindHTTP}})
		}
		evs := mustAppend(t, l, drafts...)
		want := map[string]string{"acc_a": evs[78].ID.String(), "acc_b": evs[79].ID.String()}
		for _, ch := range []<-chan *message.Message{all, reqs} {
			got := map[string]string{}
			for range 2 {
				m := receive(t, ch)
				got[m.Metadata.Get(events.MetaAccount)] = m.UUID
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("messages %v, want %v", got, want)
			}
		}
		// Nothing else was published for them: the next message is the next commit's.
		next := mustAppend(t, l, events.Draft{Type: events.RequestCaptured, Account: "acc_c",
			Data: domain.CapturedRequest{TunnelID: "tun_2", Kind: domain.KindHTTP}})
		for _, ch := range []<-chan *message.Message{all, reqs} {
			if m := receive(t, ch); m.UUID != next[0].ID.String() {
				t.Fatalf("got %s (%s), want %s", m.UUID, m.Metadata.Get(events.MetaAccount), next[0].ID)
			}
		}
	})
	t.Run("NotOnFailure", func(t *testing.T) {
		_, err := l.Execute(context.Background(), func(*events.Tx) ([]events.Draft, error) {
			return []events.Draft{reservation("acc_p", "nope")}, domain.Errorf(domain.CodeConflict, "no")
		})
		if err == nil {
			t.Fatal("command error lost")
		}
		evs := mustAppend(t, l, reservation("acc_p", "next"))
		// The next message is the next committed event, not the refused one.
		if m := receive(t, all); m.UUID != evs[0].ID.String() {
			t.Fatalf("got %s, want %s", m.UUID, evs[0].ID)
		}
	})
}
