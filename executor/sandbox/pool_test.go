//go:build linux

package sandbox

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// waitIdle waits until the pool holds n ready sandboxes (the reset runs in the background).
func waitIdle(t *testing.T, p *Pool, n int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute) // a hang only: a starved reset takes its time
	for p.Stats().Idle != n {
		if time.Now().After(deadline) {
			t.Fatalf("the pool holds %+v, want %d idle", p.Stats(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// getPut runs one command in a sandbox from the pool and gives it back.
func getPut(t *testing.T, p *Pool, cfg Config, c Cmd) (*Sandbox, result) {
	t.Helper()
	sb, err := p.Get(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := run(t, sb, c)
	p.Put(sb)
	return sb, r
}

// A reused sandbox keeps nothing of the run before: files, processes, System V IPC.
func TestPoolReuseLeaksNothing(t *testing.T) {
	p := NewPool(PoolOptions{MaxIdle: 2})
	defer p.Close()
	cfg := Config{}
	first, r := getPut(t, p, cfg, Cmd{Args: sh(`
echo a > /work/f; mkdir /work/d; echo a > /tmp/f; echo a > /dev/shm/f
ipcmk -M 4096 >/dev/null && ipcmk -Q >/dev/null && ipcmk -S 1 >/dev/null
setsid sh -c 'sleep 600' </dev/null >/dev/null 2>&1 &
ls -A /work /tmp /dev/shm | wc -w; ipcs | grep -c '^0x'`)})
	if r.stdout != "7\n3\n" {
		t.Fatalf("planting: %q %q", r.stdout, r.stderr)
	}
	waitIdle(t, p, 1)
	second, r := getPut(t, p, cfg, Cmd{Args: sh(`
ls -A /work /tmp /dev/shm | wc -w; ipcs | grep -c '^0x'
n=0; for d in /proc/[0-9]*; do n=$((n+1)); done; echo "procs=$n"`)})
	if second != first {
		t.Fatal("the pool did not reuse the sandbox")
	}
	// Three "dir:" headers; no IPC object; this shell, the command substitution's subshell
	// and the init (hidden from the command as root, visible rootless).
	if want := "3\n0\n"; !strings.HasPrefix(r.stdout, want) {
		t.Errorf("the second run sees %q, want it to start with %q (stderr %q)", r.stdout, want, r.stderr)
	}
	if n := strings.TrimSpace(strings.TrimPrefix(r.stdout, "3\n0\n")); n != "procs=1" && n != "procs=2" {
		t.Errorf("the second run sees %s processes: the sleep of the first outlived it", n)
	}
	if s := p.Stats(); s.Hits != 1 || s.Misses != 1 || s.Discarded != 0 {
		t.Errorf("stats %+v, want 1 hit, 1 miss, none discarded", s)
	}
}

// Commands of one sandbox do not share System V IPC either.
func TestIPCPerCommand(t *testing.T) {
	s := newSandbox(t, Config{})
	r := run(t, s, Cmd{Args: sh(`ipcmk -M 4096 >/dev/null && ipcs -m | grep -c '^0x'`)})
	if r.stdout != "1\n" {
		t.Fatalf("ipcmk: %q %q", r.stdout, r.stderr)
	}
	r = run(t, s, Cmd{Args: sh(`ipcs -m | grep -c '^0x'`)})
	if r.stdout != "0\n" {
		t.Errorf("the next command sees %s shared memory segments", r.stdout)
	}
}

// A run that used the network namespace leaves traces there (TIME_WAIT, counters): its
// sandbox is replaced, not reused.
func TestPoolNetworkUseNotReused(t *testing.T) {
	p := NewPool(PoolOptions{})
	defer p.Close()
	_, r := getPut(t, p, Config{}, Cmd{Args: []string{"python3", "-c", `
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
c = socket.create_connection(s.getsockname()); a, _ = s.accept()
c.sendall(b"x"); print(a.recv(1).decode()); c.close(); a.close()`}})
	if r.stdout != "x\n" {
		t.Fatalf("talking over lo: %q %q", r.stdout, r.stderr)
	}
	deadline := time.Now().Add(2 * time.Minute) // a hang only: a starved reset takes its time
	for p.Stats().Discarded != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("stats %+v, want the sandbox discarded", p.Stats())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if s := p.Stats(); s.Idle != 0 {
		t.Errorf("stats %+v, want nothing idle", s)
	}
}

// The reset mounts /work, /tmp and /dev/shm again exactly as New did.
func TestPoolResetKeepsMountOptions(t *testing.T) {
	p := NewPool(PoolOptions{})
	defer p.Close()
	cfg := Config{WorkSize: 8 << 20, TmpSize: 4 << 20, ShmSize: 2 << 20}
	mounts := Cmd{Args: sh(`while read -r id parent dev root mnt opts rest; do
case "$mnt" in /work|/tmp|/dev/shm) echo "$mnt $opts ${rest#*- }";; esac; done < /proc/self/mountinfo`)}
	_, before := getPut(t, p, cfg, mounts)
	waitIdle(t, p, 1)
	_, after := getPut(t, p, cfg, mounts)
	if strings.Count(before.stdout, "\n") != 3 {
		t.Fatalf("mounts: %q %q", before.stdout, before.stderr)
	}
	if diff := cmp.Diff(before.stdout, after.stdout); diff != "" {
		t.Errorf("mounts after a reset (-new +reset):\n%s", diff)
	}
}

// Sandboxes of different Configs are never swapped; past MaxIdle the oldest is closed.
func TestPoolKeysAndEviction(t *testing.T) {
	p := NewPool(PoolOptions{MaxIdle: 1})
	defer p.Close()
	a, _ := getPut(t, p, Config{WorkSize: 8 << 20}, Cmd{Args: []string{"true"}})
	waitIdle(t, p, 1)
	b, _ := getPut(t, p, Config{WorkSize: 16 << 20}, Cmd{Args: []string{"true"}})
	if a == b {
		t.Fatal("a sandbox of another Config was handed out")
	}
	deadline := time.Now().Add(2 * time.Minute) // a hang only: a starved reset takes its time
	for {
		a.mu.Lock()
		closed := a.closed
		a.mu.Unlock()
		if closed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the least recently used sandbox was not closed past MaxIdle")
		}
		time.Sleep(5 * time.Millisecond)
	}
	waitIdle(t, p, 1)
	c, _ := getPut(t, p, Config{WorkSize: 16 << 20}, Cmd{Args: []string{"true"}})
	if c != b {
		t.Error("the idle sandbox of the same Config was not reused")
	}
}

// The wall time of a command covers its start (privilege drop, execve), and its CPU time is
// the program's own: for /bin/true both are small but the wall time is never zero.
func TestTrivialTimes(t *testing.T) {
	s := newSandbox(t, Config{})
	r := run(t, s, Cmd{Args: []string{"/bin/true"}})
	if r.WallTime <= 0 {
		t.Errorf("wall time %v, want > 0", r.WallTime)
	}
	if r.CPUTime <= 0 {
		t.Errorf("CPU time %v, want > 0", r.CPUTime)
	}
}

// ListFiles lists regular files only, with their modes, and follows no link.
func TestListFiles(t *testing.T) {
	s := newSandbox(t, Config{})
	r := run(t, s, Cmd{Args: sh(`mkdir -p d/e && echo hi > d/e/f && printf 'x' > a && chmod 755 a &&
ln -s /etc/passwd link && ln -s /etc linkdir && mkfifo fifo && echo ok`)})
	if r.stdout != "ok\n" {
		t.Fatalf("planting: %q %q", r.stdout, r.stderr)
	}
	got, err := s.ListFiles(10)
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(got, func(i, j int) bool { return got[i].Path < got[j].Path })
	want := []FileInfo{{Path: "a", Mode: 0o755, Size: 1}, {Path: "d/e/f", Mode: 0o644, Size: 3}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ListFiles (-want +got):\n%s", diff)
	}
	if _, err := s.ListFiles(1); err == nil || !strings.Contains(err.Error(), "more than 1 files") {
		t.Errorf("ListFiles(1) = %v, want a too-many-files error", err)
	}
	// The sandbox still works after a refused listing.
	if r := run(t, s, Cmd{Args: []string{"true"}}); r.ExitCode != 0 {
		t.Errorf("after ListFiles: %+v", r)
	}
}

// A ready sandbox whose init was killed while it waited is not handed out.
func TestPoolSkipsDeadSandbox(t *testing.T) {
	p := NewPool(PoolOptions{})
	defer p.Close()
	first, _ := getPut(t, p, Config{}, Cmd{Args: []string{"true"}})
	waitIdle(t, p, 1)
	first.kill()
	<-first.exited
	second, r := getPut(t, p, Config{}, Cmd{Args: []string{"echo", "ok"}})
	if second == first || r.stdout != "ok\n" {
		t.Errorf("got the dead sandbox back (%v) or a failed run %q %q", second == first, r.stdout, r.stderr)
	}
	if s := p.Stats(); s.Discarded != 1 || s.Misses != 2 {
		t.Errorf("stats %+v, want the dead one discarded and a new one started", s)
	}
}
