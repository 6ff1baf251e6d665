//go:build linux

package main

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestRunLeavesNoCgroup: a one-shot `sandrun run` abandons its sandbox at exit (it does not wait
// for the kernel to tear the namespaces down), yet leaves nothing behind: a program that starts
// a background process and returns has, once sandrun has exited, no cgroup of its run left on
// the host (they are named after sandrun's pid).
func TestRunLeavesNoCgroup(t *testing.T) {
	requireSandbox(t)
	prog := filepath.Join(t.TempDir(), "daemon.sh")
	if err := os.WriteFile(prog, []byte("sleep 300 &\necho started\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "run", prog)
	cmd.Env = append(os.Environ(), "SANDRUN_CLI_TEST=1")
	out, err := cmd.Output()
	if err != nil || string(out) != "started\n" {
		t.Fatalf("sandrun run: %v, stdout %q", err, out)
	}
	prefix := strconv.Itoa(cmd.Process.Pid) + "-"
	var left []string
	filepath.WalkDir("/sys/fs/cgroup", func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		if strings.HasPrefix(d.Name(), prefix) {
			left = append(left, p)
			return filepath.SkipDir
		}
		return nil
	})
	if len(left) > 0 {
		t.Errorf("after sandrun run exited, its run's cgroups are left: %v", left)
	}
}
