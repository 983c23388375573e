package wire

import (
	"bytes"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
)

func TestHeader_RoundTrip(t *testing.T) {
	var b bytes.Buffer
	if err := WriteHeader(&b, "tun_01ABC"); err != nil {
		t.Fatal(err)
	}
	id, err := ReadHeader(&b)
	if err != nil || id != "tun_01ABC" {
		t.Fatalf("%q %v", id, err)
	}
	t.Run("ErrVersion", func(t *testing.T) {
		if _, err := ReadHeader(bytes.NewReader([]byte{9, 0})); err == nil {
			t.Fatal("accepted version 9")
		}
	})
}

func TestStatus_RoundTrip(t *testing.T) {
	var b bytes.Buffer
	WriteStatus(&b, StatusOK, "")
	WriteStatus(&b, StatusRefused, "connection refused")
	if err := ReadStatus(&b); err != nil {
		t.Fatal(err)
	}
	var ref *ErrRefused
	if err := ReadStatus(&b); !errors.As(err, &ref) || ref.Reason != "connection refused" {
		t.Fatalf("%v", err)
	}
}

type rwc struct {
	io.Reader
	io.Writer
}

func (rwc) Close() error { return nil }

func TestConn_Messages(t *testing.T) {
	var b bytes.Buffer
	c := NewConn(rwc{&b, &b})
	if err := c.Write(Msg{Type: TypeOpen, Ref: "1", Proto: "http", Subdomain: "demo"}); err != nil {
		t.Fatal(err)
	}
	m, err := c.Read()
	if err != nil || m.V != Version || m.Type != TypeOpen || m.Subdomain != "demo" {
		t.Fatalf("%+v %v", m, err)
	}
	t.Run("LongerThanTheBuffer", func(t *testing.T) {
		// A batch of request lines runs past the reader's 4 KiB buffer.
		var b bytes.Buffer
		c := NewConn(rwc{&b, &b})
		lines := make([]RequestLine, 200)
		for i := range lines {
			lines[i] = RequestLine{ID: "req_01", Tunnel: "demo", Method: "POST", Path: "/hook/" + strings.Repeat("x", 100), Status: 200}
		}
		c.Write(Msg{Type: TypeRequests, Requests: lines})
		c.Write(Msg{Type: TypeHeartbeat})
		if b.Len() < 20<<10 {
			t.Fatalf("the message is only %d bytes", b.Len())
		}
		if m, err := c.Read(); err != nil || len(m.Requests) != 200 || m.Requests[199].Path != lines[199].Path {
			t.Fatalf("%d lines, %v", len(m.Requests), err)
		}
		if m, err := c.Read(); err != nil || m.Type != TypeHeartbeat {
			t.Fatalf("next message %+v %v", m, err)
		}
	})
	t.Run("ErrTooLong", func(t *testing.T) {
		c := NewConn(rwc{strings.NewReader(`{"v":1,"type":"open","local":"` + strings.Repeat("x", 70<<10) + `"}` + "\n"), io.Discard})
		if _, err := c.Read(); err == nil || !strings.Contains(err.Error(), "longer than") {
			t.Fatalf("a 70 KiB message: %v", err)
		}
	})
	t.Run("ErrOtherVersion", func(t *testing.T) {
		c := NewConn(rwc{strings.NewReader(`{"v":2,"type":"open"}` + "\n"), io.Discard})
		if _, err := c.Read(); err == nil {
			t.Fatal("accepted v2")
		}
	})
}

func TestBatch_KeepsOrderUnderConcurrentWrites(t *testing.T) {
	a, b := net.Pipe()
	bc := Batch(a)
	const writers, per = 8, 200
	got := make(chan []byte, 1)
	go func() {
		all, _ := io.ReadAll(b)
		got <- all
	}()
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < per; i++ {
				// Each write is one record: its bytes must stay together.
				if _, err := bc.Write(bytes.Repeat([]byte{byte('a' + w)}, 10)); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	bc.Close()
	all := <-got
	if len(all) != writers*per*10 {
		t.Fatalf("%d bytes", len(all))
	}
	for i := 0; i < len(all); i += 10 {
		if !bytes.Equal(all[i:i+10], bytes.Repeat(all[i:i+1], 10)) {
			t.Fatalf("record at %d torn: %q", i, all[i:i+10])
		}
	}
}

func TestBatch_DirectWritesKeepOrder(t *testing.T) {
	a, b := net.Pipe()
	bc := Batch(a)
	got := make(chan []byte, 1)
	go func() {
		all, _ := io.ReadAll(b)
		got <- all
	}()
	var want []byte
	for i := 0; i < 50; i++ {
		small := bytes.Repeat([]byte{byte('a' + i%26)}, 12)
		big := bytes.Repeat([]byte{byte('A' + i%26)}, directWrite+i)
		for _, p := range [][]byte{small, big} {
			if _, err := bc.Write(p); err != nil {
				t.Fatal(err)
			}
			want = append(want, p...)
		}
	}
	bc.Close()
	if all := <-got; !bytes.Equal(all, want) {
		t.Fatalf("stream differs: %d bytes, want %d", len(all), len(want))
	}
}
