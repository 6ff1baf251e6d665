//go:build linux

package sandbox

import (
	"context"
	"errors"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestPrestart: New takes the init Prestart started, and the sandbox it makes is configured by
// New's Config (a bind, the sizes) and isolated like any other.
func TestPrestart(t *testing.T) {
	Prestart()
	spare.Lock()
	if starting := spare.starting; starting != nil {
		spare.Unlock()
		<-starting
		spare.Lock()
	}
	started := spare.s
	spare.Unlock()
	if started == nil {
		t.Fatal("Prestart started no init")
	}
	dir, err := os.MkdirTemp("", "prestart") // not t.TempDir: the command's user reads it
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir+"/marker", []byte("bound\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := newSandbox(t, Config{Binds: []Bind{{Source: dir, Target: "/opt/marker"}}})
	if s != started {
		t.Fatal("New did not take the prestarted init")
	}
	spare.Lock()
	left := spare.s
	spare.Unlock()
	if left != nil {
		t.Fatal("the spare is still kept after New took it")
	}
	r := run(t, s, Cmd{Args: []string{"sh", "-c", "cat /opt/marker/marker; id -u; hostname; ls /etc/passwd"}})
	if r.ExitCode != 0 {
		t.Fatalf("exit %d, stderr %q", r.ExitCode, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 4 || lines[0] != "bound" || lines[1] == "0" || lines[2] != "sandrun" || lines[3] != "/etc/passwd" {
		t.Fatalf("stdout %q (stderr %q): want the bind's file, a uid other than 0, the host name sandrun and /etc/passwd", r.stdout, r.stderr)
	}
	// A second New with no spare starts its own init.
	s2 := newSandbox(t, Config{})
	if s2 == s {
		t.Fatal("two sandboxes share one init")
	}
	if r := run(t, s2, Cmd{Args: []string{"true"}}); r.ExitCode != 0 {
		t.Fatalf("exit %d, stderr %q", r.ExitCode, r.stderr)
	}
	// A New while a Prestart (in another goroutine) is still starting its init waits for it and
	// takes it: no second init, nothing left behind (still starting, or started and not taken).
	prestarted := make(chan struct{})
	go func() {
		defer close(prestarted)
		Prestart()
	}()
	for {
		spare.Lock()
		begun := spare.starting != nil || spare.s != nil
		spare.Unlock()
		if begun {
			break
		}
		runtime.Gosched()
	}
	s3 := newSandbox(t, Config{})
	<-prestarted
	spare.Lock()
	starting, kept := spare.starting, spare.s
	spare.Unlock()
	if starting != nil || kept != nil {
		t.Fatalf("after New: a Prestart still starting (%v) or kept (%v): New did not take it", starting != nil, kept != nil)
	}
	if r := run(t, s3, Cmd{Args: []string{"true"}}); r.ExitCode != 0 {
		t.Fatalf("exit %d, stderr %q", r.ExitCode, r.stderr)
	}
}

// TestLastCmd: a Cmd marked Last runs as any other, nothing is prepared after it, and a later
// Run fails instead of running without a cgroup.
func TestLastCmd(t *testing.T) {
	s := newSandbox(t, Config{})
	if r := run(t, s, Cmd{Args: []string{"true"}}); r.ExitCode != 0 {
		t.Fatalf("exit %d, stderr %q", r.ExitCode, r.stderr)
	}
	if r := run(t, s, Cmd{Args: []string{"sh", "-c", "exit 3"}, Last: true}); r.ExitCode != 3 {
		t.Fatalf("exit %d, want 3; stderr %q", r.ExitCode, r.stderr)
	}
	_, err := s.Run(context.Background(), Cmd{Args: []string{"true"}, Env: testEnv, Limits: testLimits})
	if !errors.Is(err, errLastRan) {
		t.Fatalf("Run after the last command: %v, want %v", err, errLastRan)
	}
	s.mu.Lock()
	next := s.next
	s.mu.Unlock()
	if next != nil {
		t.Fatal("a cgroup was prepared after the last command")
	}
}

// TestAbandon: Abandon ends a sandbox like Close — no command runs after it, the init dies,
// no cgroup of its commands is left — without waiting for the init's death itself.
func TestAbandon(t *testing.T) {
	s, err := New(context.Background(), Config{})
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string // the cgroups the command runs in
	s.mu.Lock()
	if s.next != nil {
		for _, d := range s.next.dirs {
			dirs = append(dirs, d)
		}
	}
	s.mu.Unlock()
	if r := run(t, s, Cmd{Args: []string{"sh", "-c", "sleep 1000 & echo started"}, Last: true}); r.stdout != "started\n" {
		t.Fatalf("stdout %q, stderr %q", r.stdout, r.stderr)
	}
	if err := s.Abandon(); err != nil {
		t.Fatal(err)
	}
	if err := s.Abandon(); err != nil {
		t.Errorf("second Abandon: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close after Abandon: %v", err)
	}
	if _, err := s.Run(context.Background(), Cmd{Args: []string{"true"}}); err != ErrClosed {
		t.Errorf("Run after Abandon = %v, want ErrClosed", err)
	}
	select {
	case <-s.exited:
	case <-time.After(time.Minute): // a hang, not a timing
		t.Fatal("the init outlived Abandon by a minute")
	}
	// The command's cgroups went with its run, and no other was prepared.
	for _, d := range dirs {
		if _, err := os.Stat(d); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the command's cgroup %s is left (%v)", d, err)
		}
	}
	if s.next != nil {
		t.Errorf("a prepared command's cgroup is left: %v", s.next.dirs)
	}
}
