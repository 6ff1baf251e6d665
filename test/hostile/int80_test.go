package hostile

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// int80Signal is the signal that must end int80.c (getpid through int $0x80, the 32-bit system
// call entry) in the sandbox. Where the host's kernel takes 32-bit calls, only the seccomp
// filter stands between the program and the call, and it must kill it: SIGSYS. Some hosts take
// none (a kernel without IA32 emulation or booted with ia32_emulation=0, and some guests of
// paravirtualised VMs): there the instruction itself faults, the program gets SIGSEGV before any
// filter runs, and the call cannot reach the kernel either. Which host this is, the same
// harmless program run on the host (outside any sandbox, inside the guard) tells; without a C
// compiler on the host the strict answer, SIGSYS, is wanted.
func (s *suite) int80Signal(t *testing.T) string {
	t.Helper()
	s.int80.Do(func() { s.int80Sig, s.int80Err = probeInt80(s.programs) })
	if s.int80Err != nil {
		t.Fatalf("probing whether this host takes 32-bit system calls: %v", s.int80Err)
	}
	if s.int80Sig != "SIGSYS" {
		t.Logf("this host takes no 32-bit system call (int $0x80 faults outside the sandbox too): want %s", s.int80Sig)
	}
	return s.int80Sig
}

func probeInt80(programs string) (string, error) {
	cc, err := exec.LookPath("gcc")
	if err != nil {
		if cc, err = exec.LookPath("cc"); err != nil {
			return "SIGSYS", nil
		}
	}
	dir, err := os.MkdirTemp("", "sandrun-int80-probe")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "int80")
	if out, err := exec.Command(cc, "-O0", "-o", bin, filepath.Join(programs, "int80.c")).CombinedOutput(); err != nil {
		return "", errors.New(cc + ": " + err.Error() + ": " + string(out))
	}
	err = exec.Command(bin).Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGSEGV {
			return "SIGSEGV", nil
		}
	}
	// It ran (exit 0: getpid answered), or the kernel refused the call some other way: the
	// host has the 32-bit entry, and only the filter may stop it.
	return "SIGSYS", nil
}
