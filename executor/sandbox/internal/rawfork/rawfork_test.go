//go:build linux

package rawfork

import (
	"io"
	"os"
	"strings"
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

// TestStart runs a shell through Start with an allow-all filter and reads what it sees of
// itself: no_new_privs, a filter, the rlimit, no capability.
func TestStart(t *testing.T) {
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
	script := "grep -E '^(NoNewPrivs|Seccomp|CapEff|CapBnd):' /proc/self/status; ulimit -n; pwd"
	sp := func(s string) *byte { b, _ := syscall.BytePtrFromString(s); return b }
	p := &Plan{
		Paths:    []*byte{sp("/nonexistent/sh"), sp("/bin/sh")},
		Argv:     []*byte{sp("sh"), sp("-c"), sp(script), nil},
		Envv:     []*byte{sp("PATH=/usr/bin:/bin"), nil},
		Dir:      sp("/"),
		Stdio:    [3]int{int(null.Fd()), int(w.Fd()), int(w.Fd())},
		CgroupFD: -1,
		Rlimits:  []Rlimit{{Resource: unix.RLIMIT_NOFILE, Limit: unix.Rlimit{Cur: 77, Max: 77}}},
		UID:      os.Getuid(), GID: os.Getgid(),
		LastCap: 40,
		Filter:  &unix.SockFprog{Len: 1, Filter: &allow[0]},
		Report:  pair[1],
	}
	pid, err := Start(p)
	syscall.Close(pair[1])
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
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
	for _, want := range []string{"NoNewPrivs:\t1", "Seccomp:\t2", "CapEff:\t0000000000000000", "CapBnd:\t0000000000000000", "\n77\n/\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if ws.ExitStatus() != 0 {
		t.Errorf("exit status %v", ws)
	}
}
