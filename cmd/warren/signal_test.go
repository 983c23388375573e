package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"warren/cmd/warren/internal/server"
	"warren/cmd/warren/internal/warrentest"
	"warren/events"
	"warren/events/logtest"
	"warren/projections"
)

// TestSecondSignalEndsACommandStuckOnStdout: a command blocked writing to
// a stdout nobody reads cannot see the first SIGTERM (a write to a stuck
// pipe cannot be cancelled); the second one must end it at once.
func TestSecondSignalEndsACommandStuckOnStdout(t *testing.T) {
	// A log whose events, as JSON lines, are far more than a pipe holds.
	data := t.TempDir()
	l, err := server.OpenLog(data, server.OpenOptions{}, events.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { logtest.Check(t, server.DBPath(data)) })
	for i := range 400 {
		if _, _, err := server.CreateAccount(context.Background(), l, projections.NewAccount{
			Email: fmt.Sprintf("u%d@example.com", i), Plan: "free", KeyDescription: "k"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	cmd := exec.Command(warrentest.Bin(), "events", "tail", "--follow", "--limit", "0", "--data", data)
	cmd.Env = warrentest.ChildEnv()
	cmd.Stdout = pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	defer func() {
		cmd.Process.Kill()
		<-exited
	}()
	time.Sleep(500 * time.Millisecond) // it fills the pipe and blocks
	// A second apart: the first signal's handler restores the default
	// action from a goroutine, which a loaded CI machine (2 cores, -race)
	// once took longer than 200 ms to schedule.
	for range 2 {
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second)
	}
	select {
	case <-exited:
	case <-time.After(3 * time.Second):
		t.Fatal("a second SIGTERM did not end a command blocked on its stdout")
	}
}
