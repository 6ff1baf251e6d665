//go:build linux

package sandbox

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A daemon (setsid, double fork) must not outlive the command that started it.
func TestDaemonDies(t *testing.T) {
	s := newSandbox(t, Config{})
	// The command waits for the daemon's first beat (a fixed sleep missed it on a loaded machine).
	r := run(t, s, Cmd{Args: sh(`setsid sh -c '(while :; do echo beat >> /tmp/beat; sleep 0.02; done) &' </dev/null >/dev/null 2>&1
until [ -s /tmp/beat ]; do sleep 0.01; done; echo started`)})
	if r.stdout != "started\n" {
		t.Fatalf("daemon did not start: %q %q", r.stdout, r.stderr)
	}
	r = run(t, s, Cmd{Args: sh(`a=$(wc -l < /tmp/beat); sleep 0.3; b=$(wc -l < /tmp/beat); [ "$a" -gt 0 ] && [ "$a" = "$b" ] && echo dead`)})
	if r.stdout != "dead\n" {
		t.Errorf("the daemon survived its command (or never beat): %q %q", r.stdout, r.stderr)
	}
}

func TestNoNetwork(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("host secret\n"))
			c.Close()
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	s := newSandbox(t, Config{})
	script := fmt.Sprintf(`
import socket, sys
try:
    c = socket.create_connection(("127.0.0.1", %d), timeout=2)
    print("connected:", c.recv(100))
except OSError as e:
    print("refused")
try:
    socket.create_connection(("1.1.1.1", 53), timeout=2)
    print("public reachable")
except OSError as e:
    print("unreachable")
print(sorted(l.split(":")[0].strip() for l in open("/proc/net/dev").readlines()[2:]))
`, port)
	r := run(t, s, Cmd{Args: []string{"python3", "-c", script}})
	if want := "refused\nunreachable\n['lo']\n"; r.stdout != want {
		t.Errorf("network from inside: got %q, want %q (stderr %q)", r.stdout, want, r.stderr)
	}
}

func TestFiles(t *testing.T) {
	s := newSandbox(t, Config{})
	files := []File{
		{Path: "a.txt", Data: []byte("alpha")},
		{Path: "dir/sub/b.sh", Data: []byte("#!/bin/sh\necho from b\n"), Mode: 0o755},
	}
	if err := s.WriteFiles(files); err != nil {
		t.Fatal(err)
	}
	r := run(t, s, Cmd{Args: sh(`cat a.txt; echo; ./dir/sub/b.sh; stat -c '%a %U' a.txt dir/sub/b.sh dir; ln -s /etc/hostname link; ln -s /etc sublink; echo out > made.txt`)})
	want := "alpha\nfrom b\n644 sandbox\n755 sandbox\n755 sandbox\n"
	if r.stdout != want {
		t.Errorf("files inside: got %q, want %q (stderr %q)", r.stdout, want, r.stderr)
	}
	if got, err := s.ReadFile("made.txt", 100); err != nil || string(got) != "out\n" {
		t.Errorf("ReadFile(made.txt) = %q, %v", got, err)
	}
	for _, p := range []string{"link", "sublink/hostname", "dir", "../etc/passwd", "/etc/passwd", "missing"} {
		if got, err := s.ReadFile(p, 1<<20); err == nil {
			t.Errorf("ReadFile(%q) = %q, want an error", p, got)
		}
	}
	if _, err := s.ReadFile("made.txt", 2); err == nil {
		t.Errorf("ReadFile(made.txt, 2): want an error for a file over the size limit")
	}
	// A planted link is not followed when writing either.
	if err := s.WriteFiles([]File{{Path: "sublink/x", Data: []byte("x")}}); err == nil {
		t.Errorf("WriteFiles through a planted link to /etc succeeded")
	}
	if err := s.WriteFiles([]File{{Path: "link", Data: []byte("x")}}); err == nil {
		t.Errorf("WriteFiles over a planted link succeeded")
	}
	for _, p := range []string{"", "/abs", "a/../b", "./a", "a//b"} {
		if err := s.WriteFiles([]File{{Path: p, Data: nil}}); err == nil {
			t.Errorf("WriteFiles(%q) succeeded, want an error", p)
		}
	}
}

// Two live sandboxes see neither each other's files nor processes, and run as different uids.
func TestTwoSandboxes(t *testing.T) {
	a, b := newSandbox(t, Config{}), newSandbox(t, Config{})
	if err := a.WriteFiles([]File{{Path: "secret", Data: []byte("a's")}}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	started := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		var marker markerWriter
		marker.seen = started
		_, err := a.Run(ctx, Cmd{Args: sh(`echo > /tmp/a-was-here; echo ready; exec sleep 1000`), Env: testEnv,
			Stdout: &marker, Limits: testLimits})
		if !marker.once {
			close(started)
		}
		done <- err
	}()
	<-started
	r := run(t, b, Cmd{Args: sh(`id -u; ls /work /tmp; ps -eo comm= 2>/dev/null || ls /proc`)})
	if strings.Contains(r.stdout, "secret") || strings.Contains(r.stdout, "a-was-here") || strings.Contains(r.stdout, "sleep") {
		t.Errorf("sandbox b sees a's files or processes:\n%s", r.stdout)
	}
	ra := strings.Fields(r.stdout)
	if len(ra) == 0 || (ra[0] == fmt.Sprint(a.uid) && !a.rootless) {
		t.Errorf("both sandboxes run as uid %d", a.uid)
	}
	cancel()
	if err := <-done; err != context.Canceled {
		t.Errorf("Run after cancel = %v, want context.Canceled", err)
	}
}

type markerWriter struct {
	seen chan struct{}
	once bool
}

func (m *markerWriter) Write(p []byte) (int, error) {
	if !m.once {
		m.once = true
		close(m.seen)
	}
	return len(p), nil
}

// Cancelling ctx kills the command at once; the sandbox stays usable.
func TestCancel(t *testing.T) {
	s := newSandbox(t, Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	// Only the cancel can end the sleep before the test's bound: its wall clock is longer. The
	// bound is generous (a loaded machine takes seconds to start a sandbox), not a timing.
	l := testLimits
	l.WallTime = 10 * time.Minute
	start := time.Now()
	_, err := s.Run(ctx, Cmd{Args: []string{"sleep", "1000"}, Env: testEnv, Limits: l})
	if err != context.DeadlineExceeded {
		t.Errorf("Run = %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 2*time.Minute {
		t.Errorf("cancel took %v", d)
	}
	if r := run(t, s, Cmd{Args: []string{"true"}}); r.ExitCode != 0 {
		t.Errorf("after a cancel: exit %d", r.ExitCode)
	}
}

// The host's files stay out of reach: only the listed system dirs and binds exist inside.
func TestFilesystemView(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "tool"), []byte("toolchain"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := newSandbox(t, Config{Binds: []Bind{{Source: dir, Target: "/opt/toolchain"}}})
	r := run(t, s, Cmd{Args: sh(`cat /opt/toolchain/tool; echo; ls /root /home /var 2>&1 | wc -l; test -e /etc/shadow || echo no-shadow;
touch /usr/x 2>/dev/null || echo usr-ro; touch /opt/toolchain/x 2>/dev/null || echo bind-ro; touch /x 2>/dev/null || echo root-ro;
echo ok > /tmp/t && cat /tmp/t; echo ok > /dev/shm/t && cat /dev/shm/t`)})
	want := "toolchain\n3\nno-shadow\nusr-ro\nbind-ro\nroot-ro\nok\nok\n"
	if r.stdout != want {
		t.Errorf("got %q, want %q (stderr %q)", r.stdout, want, r.stderr)
	}
	if _, err := New(context.Background(), Config{Binds: []Bind{{Source: "/nonexistent/dir"}}}); err == nil {
		t.Errorf("New with a missing bind source succeeded")
	}
	if _, err := New(context.Background(), Config{Binds: []Bind{{Source: dir, Target: "/work/x"}}}); err == nil {
		t.Errorf("New with a bind into /work succeeded")
	}
}

// The process limit holds (cgroup pids, or RLIMIT_NPROC counted inside the sandbox only).
func TestProcessLimit(t *testing.T) {
	s := newSandbox(t, Config{})
	l := testLimits
	l.Processes = 8
	// Three children fit; the caller's own processes outside do not count.
	r := run(t, s, Cmd{Args: sh(`sleep 0.2 & sleep 0.2 & sleep 0.2 & wait; echo fine`), Limits: l})
	if r.stdout != "fine\n" || r.stderr != "" {
		t.Errorf("3 children under a limit of 8: %q %q", r.stdout, r.stderr)
	}
	// Forty do not. The children live as long as the parent (they wait for the pipe's end), not
	// for a while: on a loaded machine the first ones could end before the eighth fork.
	r = run(t, s, Cmd{Args: []string{"python3", "-c", `
import os
r, w = os.pipe()
n = 0
try:
    for i in range(40):
        if os.fork() == 0:
            os.close(w); os.read(r, 1); os._exit(0)
        n += 1
except OSError as e:
    print("stopped after", n)
`}, Limits: l})
	if !strings.HasPrefix(r.stdout, "stopped after") {
		t.Errorf("python forking 40 under a limit of 8: %q %q", r.stdout, r.stderr)
	}
}

// /proc of the sandbox hides the kernel's secrets and cannot be written.
func TestProcMasked(t *testing.T) {
	s := newSandbox(t, Config{})
	r := run(t, s, Cmd{Args: sh(`cat /proc/kcore 2>/dev/null | head -c 10 | wc -c; cat /proc/1/environ 2>/dev/null | wc -c;
echo 1 > /proc/sys/kernel/sysrq 2>/dev/null || echo sys-ro; echo x > /proc/sysrq-trigger 2>/dev/null || echo sysrq-no`)})
	if want := "0\n0\nsys-ro\nsysrq-no\n"; r.stdout != want {
		t.Errorf("got %q, want %q (stderr %q)", r.stdout, want, r.stderr)
	}
}

// Docker's masked /proc paths, plus the kernel's build configuration and command line, read as
// nothing; its read-only ones cannot be written.
func TestProcMaskedLikeDocker(t *testing.T) {
	s := newSandbox(t, Config{})
	var script strings.Builder
	for _, p := range []string{"asound", "acpi", "interrupts", "kcore", "keys", "latency_stats", "timer_list",
		"timer_stats", "sched_debug", "scsi", "kallsyms", "sysrq-trigger", "config.gz", "cmdline"} {
		// A masked file reads as empty, a masked dir lists nothing; absent is as good.
		fmt.Fprintf(&script, "p=/proc/%s; if [ -d $p ]; then n=$(ls -A $p | wc -c); elif [ -e $p ]; then n=$(cat $p 2>/dev/null | wc -c); else n=0; fi; echo %s=$n\n", p, p)
	}
	for _, p := range []string{"bus", "fs", "irq", "sys"} {
		fmt.Fprintf(&script, "if [ -e /proc/%s ]; then grep -E ' /proc/%s ' /proc/self/mountinfo | grep -q ' ro,' && echo %s=ro || echo %s=rw; else echo %s=ro; fi\n", p, p, p, p, p)
	}
	r := run(t, s, Cmd{Args: sh(script.String())})
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		name, v, _ := strings.Cut(line, "=")
		if v != "0" && v != "ro" {
			t.Errorf("/proc/%s: %s, want masked or read-only (stderr %q)", name, v, r.stderr)
		}
	}
	if n := strings.Count(r.stdout, "\n"); n != 18 {
		t.Errorf("got %d lines, want 18:\n%s%s", n, r.stdout, r.stderr)
	}
}

// Credential files in a bound toolchain dir are masked: the toolchain is there, its tokens are not.
func TestCredentialFilesMasked(t *testing.T) {
	dir := t.TempDir()
	for name, data := range map[string]string{"credentials.toml": "[registry]\ntoken = \"cio-secret\"\n",
		"credentials": "secret", ".npmrc": "//registry.npmjs.org/:_authToken=npm-secret\n",
		".gitconfig": "[http]\nextraheader = AUTHORIZATION: bearer git-secret\n", "tool": "#!/bin/sh\necho tool ran\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, ".docker"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".docker", "config.json"), []byte(`{"auths":{"x":{"auth":"docker-secret"}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	s := newSandbox(t, Config{Binds: []Bind{{Source: dir, Target: "/opt/toolchain"}}})
	r := run(t, s, Cmd{Args: sh(`/opt/toolchain/tool; cat /opt/toolchain/credentials.toml /opt/toolchain/credentials /opt/toolchain/.npmrc /opt/toolchain/.gitconfig /opt/toolchain/.docker/config.json /etc/npmrc /etc/gitconfig /usr/local/etc/npmrc 2>&1; echo end`)})
	if !strings.HasPrefix(r.stdout, "tool ran\n") || !strings.HasSuffix(r.stdout, "end\n") {
		t.Fatalf("got %q (stderr %q)", r.stdout, r.stderr)
	}
	if strings.Contains(r.stdout, "secret") || strings.Contains(r.stdout, "cafile") || strings.Contains(r.stdout, "[credential") {
		t.Errorf("a credential file (or the host's npmrc or gitconfig) reached the sandbox:\n%s", r.stdout)
	}
}

// Nothing of a sandbox survives Close: a new one starts empty, and no cgroup is left behind.
func TestNothingPersists(t *testing.T) {
	a, err := New(context.Background(), Config{})
	if err != nil {
		t.Fatal(err)
	}
	r := run(t, a, Cmd{Args: sh(`echo a > /work/f; echo a > /tmp/f; echo a > /dev/shm/f; ls /work /tmp /dev/shm | wc -w`)})
	if r.stdout != "6\n" { // three "dir:" headers, three files
		t.Fatalf("writing: %q %q", r.stdout, r.stderr)
	}
	pid := a.init.Process.Pid
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := a.Run(context.Background(), Cmd{Args: []string{"true"}}); err != ErrClosed {
		t.Errorf("Run after Close = %v, want ErrClosed", err)
	}
	if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err == nil {
		t.Errorf("the init (pid %d) outlived Close", pid)
	}
	b := newSandbox(t, Config{})
	r = run(t, b, Cmd{Args: sh(`ls -A /work /tmp /dev/shm | wc -w`)})
	if r.stdout != "3\n" { // only the three "dir:" headers
		t.Errorf("a new sandbox sees %q", r.stdout)
	}
	// Only b's next command cgroup exists now.
	h := hostCgroups()
	keep := map[string]bool{}
	b.mu.Lock()
	b.waitPending()
	b.mu.Unlock()
	if b.next != nil {
		for _, d := range b.next.dirs {
			keep[d] = true
		}
	}
	for _, p := range h.parents() {
		entries, _ := os.ReadDir(p)
		for _, e := range entries {
			if dir := filepath.Join(p, e.Name()); strings.HasPrefix(e.Name(), h.prefix) && !keep[dir] {
				t.Errorf("cgroup %s left behind", dir)
			}
		}
	}
}

// Command cgroups of a sandrun process that is gone are removed at start-up; those of live
// processes are not.
func TestCleanLeftovers(t *testing.T) {
	h := hostCgroups()
	if h.version == 0 {
		t.Skip("no usable cgroup here: " + h.why)
	}
	st, err := procStartTime(os.Getppid())
	if err != nil {
		t.Fatal(err)
	}
	dead := "999999999-1-1"                            // no such pid
	alive := fmt.Sprintf("%d-%d-77", os.Getppid(), st) // our parent, alive
	for _, p := range h.parents() {
		for _, name := range []string{dead, alive} {
			if err := os.Mkdir(filepath.Join(p, name), 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	h.cleanLeftovers()
	for _, p := range h.parents() {
		if _, err := os.Stat(filepath.Join(p, dead)); err == nil {
			t.Errorf("leftover %s not removed", filepath.Join(p, dead))
		}
		if _, err := os.Stat(filepath.Join(p, alive)); err != nil {
			t.Errorf("live process's cgroup %s removed", filepath.Join(p, alive))
		}
		removeCgroup(filepath.Join(p, alive))
	}
}

// Restore returns the sandbox to its Checkpoint: /work holds exactly the checkpointed tree
// (files with their modes and times, dirs, links), /tmp and /dev/shm are empty (the compile's
// /tmp goes too, as after a compile-cache hit), and nothing a run wrote after it is left.
func TestCheckpointRestore(t *testing.T) {
	s := newSandbox(t, Config{})
	if err := s.WriteFiles([]File{{Path: "src.c", Data: []byte("int main;")}}); err != nil {
		t.Fatal(err)
	}
	r := run(t, s, Cmd{Args: sh(`mkdir -p out/deep && printf bin > out/deep/prog && chmod 751 out/deep/prog && ln -s out/deep/prog link && touch -d 2001-02-03 src.c && echo compile > /tmp/compile-left`)})
	if r.stderr != "" {
		t.Fatalf("compile: %q", r.stderr)
	}
	ctx := context.Background()
	if err := s.Restore(ctx); err == nil {
		t.Error("Restore without a checkpoint succeeded")
	}
	if err := s.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	state := `find /work /tmp /dev/shm -mindepth 1 | sort; stat -c '%a %U %s' out/deep/prog; readlink link; date -r src.c +%F; cat src.c; echo`
	base := run(t, s, Cmd{Args: sh(state)}).stdout
	want := "/work/link\n/work/out\n/work/out/deep\n/work/out/deep/prog\n/work/src.c\n751 sandbox 3\nout/deep/prog\n2001-02-03\nint main;\n"
	if base != want {
		t.Fatalf("after the checkpoint:\n%s\nwant\n%s", base, want)
	}
	for i := 0; i < 2; i++ {
		r := run(t, s, Cmd{Args: sh(`echo case > /work/case-left; echo case > /tmp/case-left; echo case > /dev/shm/case-left; rm -rf out; echo x >> src.c`)})
		if r.stderr != "" {
			t.Fatal(r.stderr)
		}
		if err := s.Restore(ctx); err != nil {
			t.Fatal(err)
		}
		if got := run(t, s, Cmd{Args: sh(state)}).stdout; got != want {
			t.Errorf("after restore %d:\n%s\nwant\n%s", i+1, got, want)
		}
	}
}
