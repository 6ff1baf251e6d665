//go:build linux

package sandbox

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// startModes are the ways this host can start commands: the fork from the init where the host
// has what it needs, and always the stage-2 (forced), which must hold the same guarantees.
func startModes(t *testing.T) []startMode {
	modes := []startMode{{why: "stage-2 (forced by the test)"}}
	if m := commandStart(); m.fork {
		modes = append([]startMode{m}, modes...)
	}
	return modes
}

// withStart makes the sandboxes New starts from now on use m (until the test ends).
func withStart(t *testing.T, m startMode) {
	commandStart()
	old := startM
	startM = m
	t.Cleanup(func() { startM = old })
}

// TestCommandState reads, from inside a command, what the sandbox set up for it before execve:
// uid and groups, no_new_privs, exactly one seccomp filter, no capability in any set, its
// rlimits, its own cgroup, and the default signal dispositions — on each way commands start.
func TestCommandState(t *testing.T) {
	for _, m := range startModes(t) {
		t.Run(fmt.Sprint("fork=", m.fork), func(t *testing.T) {
			withStart(t, m)
			s := newSandbox(t, Config{})
			if s.fork != m.fork {
				t.Fatalf("sandbox fork=%v, want %v", s.fork, m.fork)
			}
			for i := 0; i < 2; i++ { // the first command and one that follows it
				var cgName string
				s.mu.Lock()
				s.waitPending() // the cgroup made after the last command
				if s.next != nil {
					for _, dir := range s.next.dirs {
						cgName = filepath.Base(dir)
					}
				}
				s.mu.Unlock()
				lim := testLimits
				lim.OpenFiles, lim.Stack, lim.Processes, lim.FileSize = 77, 5<<20, 33, 1<<20
				r := run(t, s, Cmd{Args: sh(`id -u; id -g; id -G; grep -E '^(NoNewPrivs|Seccomp|Seccomp_filters|CapInh|CapPrm|CapEff|CapBnd|CapAmb|SigIgn|SigBlk):' /proc/self/status; cat /proc/self/limits; cat /proc/self/cgroup`),
					Limits: lim})
				if r.ExitCode != 0 {
					t.Fatalf("exit %d: %s %s", r.ExitCode, r.stdout, r.stderr)
				}
				lines := strings.SplitN(r.stdout, "\n", 4)
				if lines[0] != fmt.Sprint(s.uid) || lines[1] != fmt.Sprint(s.gid) || lines[2] != fmt.Sprint(s.gid) {
					t.Errorf("uid, gid, groups = %q, want %d, %d, %d", lines[:3], s.uid, s.gid, s.gid)
				}
				if s.uid == 0 {
					t.Errorf("runs as uid 0")
				}
				for _, want := range []string{"NoNewPrivs:\t1\n", "Seccomp:\t2\n", "CapInh:\t0000000000000000\n",
					"CapPrm:\t0000000000000000\n", "CapEff:\t0000000000000000\n", "CapBnd:\t0000000000000000\n",
					"CapAmb:\t0000000000000000\n", "SigIgn:\t0000000000000000\n", "SigBlk:\t0000000000000000\n"} {
					if !strings.Contains(r.stdout, want) {
						t.Errorf("/proc/self/status lacks %q:\n%s", want, r.stdout)
					}
				}
				if strings.Contains(r.stdout, "Seccomp_filters:") && !strings.Contains(r.stdout, "Seccomp_filters:\t1\n") {
					t.Errorf("want exactly one seccomp filter:\n%s", r.stdout)
				}
				cpu := "10 11" // whole seconds, a second more when the cgroup's CPU time is polled
				if hostCgroups().version != 0 {
					cpu = "11 12"
				}
				for name, want := range map[string]string{
					"Max open files": "77 77", "Max stack size": fmt.Sprint(5<<20, " ", 5<<20),
					"Max core file size": "0 0", "Max file size": fmt.Sprint(1<<20, " ", 1<<20),
					"Max locked memory": fmt.Sprint(64<<10, " ", 64<<10), "Max cpu time": cpu,
				} {
					re := regexp.MustCompile(`(?m)^` + name + `\s+(\S+)\s+(\S+)`)
					got := re.FindStringSubmatch(r.stdout)
					if got == nil || got[1]+" "+got[2] != want {
						t.Errorf("%s: %q, want %q", name, got, want)
					}
				}
				if !regexp.MustCompile(`(?m)^Max processes\s+\d+\s+\d+`).MatchString(r.stdout) || strings.Contains(r.stdout, "Max processes             unlimited") {
					t.Errorf("no process rlimit:\n%s", r.stdout)
				}
				if cgName != "" {
					// Every hierarchy the command is in names its own cgroup.
					n := strings.Count(r.stdout, "/"+cgName+"\n")
					if want := cgroupHierarchies(); n < want || n == 0 {
						t.Errorf("the command is in %d cgroups named %s, want %d:\n%s", n, cgName, want, r.stdout)
					}
				}
			}
		})
	}
}

// cgroupHierarchies is how many hierarchies a command cgroup spans on this host.
func cgroupHierarchies() int {
	if h := hostCgroups(); h.version == 1 {
		return len(h.ctrls)
	}
	return 1
}

// TestStartFailures: a missing program, a missing dir and a file that is not executable are
// errors that name them, on each way commands start.
func TestStartFailures(t *testing.T) {
	for _, m := range startModes(t) {
		t.Run(fmt.Sprint("fork=", m.fork), func(t *testing.T) {
			withStart(t, m)
			s := newSandbox(t, Config{})
			if err := s.WriteFiles([]File{{Path: "data.txt", Data: []byte("x"), Mode: 0o644}}); err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				cmd  Cmd
				want string
			}{
				{Cmd{Args: []string{"no-such-program"}}, "no-such-program"},
				{Cmd{Args: []string{"true"}, Dir: "nodir"}, "/work/nodir"},
				{Cmd{Args: []string{"./data.txt"}}, "./data.txt"},
			} {
				c.cmd.Env, c.cmd.Limits = testEnv, testLimits
				_, err := s.Run(t.Context(), c.cmd)
				if err == nil || !strings.Contains(err.Error(), c.want) {
					t.Errorf("%q in %q: %v, want an error naming %s", c.cmd.Args, c.cmd.Dir, err, c.want)
				}
			}
			if r := run(t, s, Cmd{Args: []string{"echo", "ok"}}); r.stdout != "ok\n" {
				t.Errorf("after failed starts: %q %q", r.stdout, r.stderr)
			}
		})
	}
}
