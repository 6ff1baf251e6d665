package hostile

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sandrun/sandrun/executor/sandbox"
)

// record adds a case's outcome to the report.
func (s *suite) record(t *testing.T, name, outcome string) {
	s.results = append(s.results, result{Case: name, Outcome: outcome, Holds: !t.Failed()})
}

// report logs the table of outcomes (docs/sandbox.md quotes it).
func (s *suite) report(t *testing.T) {
	mode := "root"
	switch {
	case s.rlimitsOnly:
		mode = "rootless"
	case s.rootless:
		mode = "rootless, delegated cgroup"
	}
	var b strings.Builder
	b.WriteString("| case | outcome (" + mode + ") | holds |\n|---|---|---|\n")
	for _, r := range s.results {
		holds := "yes"
		if !r.Holds {
			holds = "**no**"
		}
		b.WriteString("| " + r.Case + " | " + r.Outcome + " | " + holds + " |\n")
	}
	t.Logf("hostile suite, %s:\n%s", mode, b.String())
}

// special runs the cases that need more than one run or the sandbox's host-side API.
func (s *suite) special(t *testing.T) {
	t.Run("two concurrent runs", func(t *testing.T) {
		before := takeSnapshot()
		ready := make(chan struct{})
		var once sync.Once
		var hide ran
		var hideErr error
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			lim := limits
			lim.WallTime = 10 * time.Second
			hide, hideErr = s.runE("peer.c", []string{"hide", s.tok}, nil, lim, func(p []byte) {
				if bytes.Contains(p, []byte("ready")) {
					once.Do(func() { close(ready) })
				}
			})
			once.Do(func() { close(ready) })
		}()
		select {
		case <-ready:
		case <-time.After(time.Minute):
			t.Fatal("the hiding run never said ready")
		}
		seek := s.run(t, "peer.c", []string{"seek", s.tok}, nil, limits, nil)
		wg.Wait()
		if hideErr != nil {
			t.Fatal(hideErr)
		}
		outputHas("ready")(t, s, hide)
		outputHas("found=0")(t, s, seek)
		s.checkHost(t, before)
		s.record(t, "two concurrent runs see each other", seek.status()+", "+firstLine(seek.Stdout))
	})
	t.Run("nothing persists", func(t *testing.T) {
		before := takeSnapshot()
		plant := s.run(t, "persist.c", []string{"plant"}, nil, limits, nil)
		outputHas("/work/planted=present", "/tmp/planted=present", "/dev/shm/planted=present")(t, s, plant)
		check := s.run(t, "persist.c", []string{"check"}, nil, limits, nil)
		outputHas("/work/planted=absent", "/tmp/planted=absent", "/dev/shm/planted=absent")(t, s, check)
		s.checkHost(t, before)
		s.record(t, "setuid files left for the next run", check.status()+", all absent")
	})
	t.Run("compile bomb", func(t *testing.T) {
		before := takeSnapshot()
		r := s.compile(t, "compile_bomb.c", sandbox.Limits{CPUTime: 3 * time.Second, WallTime: 10 * time.Second,
			Memory: 256 << 20, Processes: 16, Output: 64 << 10, FileSize: 16 << 20})
		t.Logf("compile: %s: %s", r.status(), firstLine(r.Stdout))
		if r.status() == "ok" {
			t.Error("gcc compiled #include \"/dev/zero\"")
		}
		status("time_limit (cpu)", "time_limit (wall)", "memory_limit", "output_limit", "runtime_error (exit 1)")(t, s, r)
		s.checkHost(t, before)
		s.record(t, "compile bomb", r.status())
	})
	t.Run("symlink planted in the work dir", func(t *testing.T) { s.symlinks(t) })
	t.Run("host dir seen through an overlay", func(t *testing.T) { s.overlay(t) })
}

// compile runs gcc on one program in a fresh sandbox with lim.
func (s *suite) compile(t *testing.T, name string, lim sandbox.Limits) ran {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sb, err := sandbox.New(ctx, sandboxConfig)
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	if err := sb.WriteFiles([]sandbox.File{{Path: "main.c", Data: s.source(t, name)}}); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	o, err := sb.Run(ctx, sandbox.Cmd{Args: []string{"gcc", "-o", "main", "main.c"},
		Env: []string{"PATH=/usr/bin:/bin"}, Stdout: &out, Stderr: &out, Limits: lim})
	if err != nil {
		t.Fatal(err)
	}
	return ran{Outcome: o, Stdout: out.String()}
}

// symlinks plants links and a FIFO in /work and checks that ReadFile, the host's way into the
// work dir, neither follows nor hangs on them.
func (s *suite) symlinks(t *testing.T) {
	before := takeSnapshot()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sb, err := sandbox.New(ctx, sandboxConfig)
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	secret := s.secrets[len(s.secrets)-1]
	dir, base, _ := strings.Cut(strings.TrimPrefix(secret, "/"), "/")
	var out, errb strings.Builder
	o, err := sb.Run(ctx, sandbox.Cmd{
		Args: []string{"/bin/sh", "-c", `ln -s "$1" /work/link && ln -s "$2" /work/dirlink && mkfifo /work/fifo && echo planted`,
			"sh", secret, "/" + dir},
		Env:    []string{"PATH=/usr/bin:/bin"},
		Stdout: &out, Stderr: &errb, Limits: limits,
	})
	if err != nil || o.ExitCode != 0 || !strings.Contains(out.String(), "planted") {
		t.Fatalf("planting links: %v, %+v, %s%s", err, o, out.String(), errb.String())
	}
	for _, p := range []string{"link", "dirlink/" + base, "fifo"} {
		done := make(chan struct{})
		var b []byte
		var rerr error
		go func() { b, rerr = sb.ReadFile(p, 1<<20); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("ReadFile(%q) hangs", p)
		}
		if rerr == nil || strings.Contains(string(b), s.tok) {
			t.Errorf("ReadFile(%q) = %q, %v; want an error, the link not followed", p, b, rerr)
		} else {
			t.Logf("ReadFile(%q): %v", p, rerr)
		}
	}
	if err := sb.Close(); err != nil {
		t.Error(err)
	}
	s.checkHost(t, before)
	s.record(t, "symlinks and a FIFO planted in /work, read by the host", "ReadFile refused all")
}
