package jsbus_test

import (
	"os"
	"path/filepath"
	"testing"

	"warren/events/jsbus"
)

// TestSpoolTornRecordIsSkippedAndCounted: an edge that crashed in the
// middle of writing a record leaves a torn tail in its spool; on restart
// the records before it are delivered, the torn one is counted as
// dropped, and the records sent after the restart are delivered too.
func TestSpoolTornRecordIsSkippedAndCounted(t *testing.T) {
	s := startServer(t)
	cfg := s.Config()
	s.Shutdown()
	dir := t.TempDir()
	snd := startSender(t, s.URL(), dir, 1<<20)
	k := newKeys()
	for i := range 5 {
		if err := snd.Send(k.next(), capture(i)); err != nil {
			t.Fatal(err)
		}
	}
	snd.Close()
	segs, err := filepath.Glob(filepath.Join(dir, "*.spool"))
	if err != nil || len(segs) == 0 {
		t.Fatalf("no spool segments (%v)", err)
	}
	// The crash: a record's header promising more bytes than were written.
	f, err := os.OpenFile(segs[len(segs)-1], os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte{0, 0, 1, 0, 9, 9, 9, 9, 'x'}); err != nil {
		t.Fatal(err)
	}
	f.Close()

	s2, err := jsbus.StartServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s2.Shutdown)
	l := openLog(t)
	startConsumer(t, s2.URL(), l)
	snd = startSender(t, s2.URL(), dir, 1<<20)
	if err := snd.Send(k.next(), capture(5)); err != nil {
		t.Fatal(err)
	}
	waitCount(t, l, 6)
	once(t, l, 6, nil)
	eventually(t, "the torn record counted, the spool empty", func() bool {
		st := snd.Stats()
		return st.Dropped == 1 && st.Spooled == 0
	})
}
