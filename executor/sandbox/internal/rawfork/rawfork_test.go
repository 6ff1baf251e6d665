//go:build linux

package rawfork

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

func TestParseFailure(t *testing.T) {
	step, errno, ok := ParseFailure([]byte{byte(StepChdir), 0, 0, 0, 2, 0, 0, 0})
	if !ok || step != StepChdir || errno != 2 {
		t.Fatalf("ParseFailure = %v %v %v", step, errno, ok)
	}
	if step.String() != "chdir" || Step(99).String() != "step 99" {
		t.Fatalf("names: %q", step.String())
	}
}

// TestPrefork runs a shell through Prefork with an allow-all filter and reads what it sees of
// itself: no_new_privs, a filter, the rlimit, no capability, only its stdio open (ls's own fd
// for the dir is the fourth).
func TestPrefork(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	null, _ := os.Open(os.DevNull)
	defer null.Close()
	pair, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_SEQPACKET|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(pair[0])
	allow := []unix.SockFilter{{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ALLOW}}
	region, err := NewRegion(1 << 20)
	if err != nil {
		t.Fatal(err)
	}
	p := &Plan{CgroupFD: -1, UID: os.Getuid(), GID: os.Getgid(), LastCap: 40,
		Filter: &unix.SockFprog{Len: 1, Filter: &allow[0]}, Region: region, Sock: pair[1]}
	pid, err := Prefork(p)
	syscall.Close(pair[1])
	if err != nil {
		t.Fatal(err)
	}
	script := "grep -E '^(NoNewPrivs|Seccomp|CapEff|CapBnd):' /proc/self/status; ulimit -n; pwd; ls /proc/self/fd | wc -l"
	if err := region.Put(&Command{Paths: []string{"/nonexistent/sh", "/bin/sh"}, Args: []string{"sh", "-c", script},
		Env: []string{"PATH=/usr/bin:/bin"}, Dir: "/",
		Rlimits: []Rlimit{{Resource: unix.RLIMIT_NOFILE, Limit: unix.Rlimit{Cur: 77, Max: 77}}}}); err != nil {
		t.Fatal(err)
	}
	if err := Hand(pair[0], [3]int{int(null.Fd()), int(w.Fd()), int(w.Fd())}); err != nil {
		t.Fatal(err)
	}
	w.Close()
	out, _ := io.ReadAll(r)
	var ws syscall.WaitStatus
	if _, err := syscall.Wait4(pid, &ws, 0, nil); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	n, _, _, _, _ := syscall.Recvmsg(pair[0], buf, nil, 0)
	if n != CPUReportLen {
		t.Errorf("report of %d bytes, want the CPU report", n)
	}
	got := string(out)
	for _, want := range []string{"NoNewPrivs:\t1", "Seccomp:\t2", "CapEff:\t0000000000000000", "CapBnd:\t0000000000000000", "\n77\n/\n4\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if ws.ExitStatus() != 0 {
		t.Errorf("exit status %v", ws)
	}
}

// A waiting child whose parent closes the socket exits 0 without running anything.
func TestPreforkParentGone(t *testing.T) {
	pair, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_SEQPACKET|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	region, err := NewRegion(1 << 16)
	if err != nil {
		t.Fatal(err)
	}
	allow := []unix.SockFilter{{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ALLOW}}
	pid, err := Prefork(&Plan{CgroupFD: -1, UID: os.Getuid(), GID: os.Getgid(),
		Filter: &unix.SockFprog{Len: 1, Filter: &allow[0]}, Region: region, Sock: pair[1]})
	syscall.Close(pair[1])
	if err != nil {
		t.Fatal(err)
	}
	syscall.Close(pair[0])
	var ws syscall.WaitStatus
	if _, err := syscall.Wait4(pid, &ws, 0, nil); err != nil {
		t.Fatal(err)
	}
	if !ws.Exited() || ws.ExitStatus() != 0 {
		t.Errorf("child ended %v, want exit 0", ws)
	}
}

// Put refuses what does not fit or cannot be a C string.
func TestPutBounds(t *testing.T) {
	region, err := NewRegion(4096)
	if err != nil {
		t.Fatal(err)
	}
	ok := Command{Paths: []string{"/bin/true"}, Args: []string{"true"}, Dir: "/"}
	if err := region.Put(&ok); err != nil {
		t.Fatalf("Put: %v", err)
	}
	big := ok
	big.Env = []string{strings.Repeat("x", 8192)}
	nul := ok
	nul.Args = []string{"a\x00b"}
	for _, c := range []Command{big, nul, {Args: []string{"x"}, Dir: "/"}} {
		if err := region.Put(&c); err == nil {
			t.Errorf("Put(%.40v) worked", c)
		}
	}
}

// On a writable cgroup v2 hierarchy the child is cloned straight into its cgroup
// (CLONE_INTO_CGROUP): the command reads it from /proc/self/cgroup.
func TestPreforkIntoCgroup(t *testing.T) {
	mount := ""
	for _, m := range []string{"/sys/fs/cgroup", "/sys/fs/cgroup/unified"} {
		var st unix.Statfs_t
		if unix.Statfs(m, &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC {
			mount = m
			break
		}
	}
	if mount == "" || os.Geteuid() != 0 {
		t.Skip("needs root and a cgroup2 mount")
	}
	own := ""
	b, _ := os.ReadFile("/proc/self/cgroup")
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "0::"); ok {
			own = v
		}
	}
	name := fmt.Sprintf("rawfork-test-%d", os.Getpid())
	dir := filepath.Join(mount, own, name)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Skipf("cannot make a v2 cgroup: %v", err)
	}
	defer os.Remove(dir)
	d, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	out, ws := runShell(t, int(d.Fd()), "cat /proc/self/cgroup")
	if ws.ExitStatus() != 0 || !strings.Contains(out, "0::"+filepath.Join(own, name)+"\n") {
		t.Errorf("exit %v, /proc/self/cgroup:\n%s", ws, out)
	}
}

// runShell runs script through Prefork (cloned into cgroupFD when >= 0) and returns its output.
func runShell(t *testing.T, cgroupFD int, script string) (string, syscall.WaitStatus) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	null, _ := os.Open(os.DevNull)
	defer null.Close()
	pair, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_SEQPACKET|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(pair[0])
	region, err := NewRegion(1 << 16)
	if err != nil {
		t.Fatal(err)
	}
	allow := []unix.SockFilter{{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ALLOW}}
	pid, err := Prefork(&Plan{CgroupFD: cgroupFD, UID: os.Getuid(), GID: os.Getgid(),
		Filter: &unix.SockFprog{Len: 1, Filter: &allow[0]}, Region: region, Sock: pair[1]})
	syscall.Close(pair[1])
	if err != nil {
		t.Fatal(err)
	}
	if err := region.Put(&Command{Paths: []string{"/bin/sh"}, Args: []string{"sh", "-c", script}, Dir: "/"}); err != nil {
		t.Fatal(err)
	}
	if err := Hand(pair[0], [3]int{int(null.Fd()), int(w.Fd()), int(w.Fd())}); err != nil {
		t.Fatal(err)
	}
	w.Close()
	out, _ := io.ReadAll(r)
	var ws syscall.WaitStatus
	if _, err := syscall.Wait4(pid, &ws, 0, nil); err != nil {
		t.Fatal(err)
	}
	return string(out), ws
}

// TestSlotsReused: children waiting at the same time each run on a slot of their own, and a
// slot is reused once its child is gone (the kernel cleared its tid at the child's exit).
func TestSlotsReused(t *testing.T) {
	if !vmClone {
		t.Skip("children are forked here, not cloned with CLONE_VM")
	}
	allow := []unix.SockFilter{{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ALLOW}}
	region, err := NewRegion(1 << 16)
	if err != nil {
		t.Fatal(err)
	}
	start := func() (pid, sock int) {
		t.Helper()
		pair, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_SEQPACKET|syscall.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		pid, err = Prefork(&Plan{CgroupFD: -1, UID: os.Getuid(), GID: os.Getgid(), LastCap: 40,
			Filter: &unix.SockFprog{Len: 1, Filter: &allow[0]}, Region: region, Sock: pair[1]})
		syscall.Close(pair[1])
		if err != nil {
			t.Fatal(err)
		}
		return pid, pair[0]
	}
	// Closing the parent's end makes a waiting child exit 0.
	end := func(pid, sock int) {
		t.Helper()
		syscall.Close(sock)
		var ws syscall.WaitStatus
		if _, err := syscall.Wait4(pid, &ws, 0, nil); err != nil || !ws.Exited() || ws.ExitStatus() != 0 {
			t.Fatalf("child %d: %v, status %v", pid, err, ws)
		}
	}
	var pids, socks [3]int
	for i := range pids {
		pids[i], socks[i] = start()
	}
	slots.Lock()
	n := len(slots.all)
	busy := 0
	for _, s := range slots.all {
		if atomic.LoadUint32(&s.child().tid) != 0 {
			busy++
		}
	}
	slots.Unlock()
	if busy < 3 {
		t.Fatalf("%d slots in use with 3 children waiting", busy)
	}
	for i := range pids {
		end(pids[i], socks[i])
	}
	for i := 0; i < 3; i++ {
		end(start())
	}
	slots.Lock()
	defer slots.Unlock()
	if len(slots.all) != n {
		t.Errorf("%d slots after the children ended and 3 more came, want the %d there were", len(slots.all), n)
	}
	for i, s := range slots.all {
		if tid := atomic.LoadUint32(&s.child().tid); tid != 0 {
			t.Errorf("slot %d still taken (tid %d) with no child left", i, tid)
		}
	}
}
