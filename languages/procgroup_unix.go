//go:build unix

package languages

import (
	"os/exec"
	"syscall"
)

// ownGroup makes cmd the leader of a new process group and has cancellation kill the whole
// group, so that a version command's children (a launcher script's JVM) die with it.
func ownGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
}
