package hostile

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sandrun/sandrun/executor/sandbox"
)

// limits are small on purpose: every case should end within seconds.
var limits = sandbox.Limits{CPUTime: time.Second, WallTime: 3 * time.Second, Memory: 128 << 20,
	Processes: 32, Output: 64 << 10, FileSize: 8 << 20, OpenFiles: 256}

// slow scales a time limit by SANDRUN_TEST_SLOWDOWN (a whole factor, default 1), for machines that
// run everything several times slower, as the emulated cgroup v2 VM of `make test-cgroup2` does:
// there the CPU limits must still be what ends the CPU-bound cases, not what ends the others.
func slow(d time.Duration) time.Duration {
	if n, err := strconv.Atoi(os.Getenv("SANDRUN_TEST_SLOWDOWN")); err == nil && n > 1 {
		return d * time.Duration(n)
	}
	return d
}

// hcase is one hostile program: how to run it and what must come out.
type hcase struct {
	name  string
	src   string
	args  func(s *suite) []string
	stdin func() []byte
	wall  time.Duration // overrides limits.WallTime: CPU-bound cases on a loaded machine
	check func(t *testing.T, s *suite, r ran)
	// rootless, when set, replaces check in rootless mode, where the case holds only in a
	// weaker form; note says how (it goes into the report).
	rootless func(t *testing.T, s *suite, r ran)
	note     string
}

// status checks how the program ended (ran.status names).
func status(want ...string) func(*testing.T, *suite, ran) {
	return func(t *testing.T, s *suite, r ran) {
		t.Helper()
		for _, w := range want {
			if r.status() == w {
				return
			}
		}
		t.Errorf("ended %s, want %v (stdout %q, stderr %q)", r.status(), want, firstLine(r.Stdout), firstLine(r.Stderr))
	}
}

// outputHas checks the program ended ok and stdout holds each of want.
func outputHas(want ...string) func(*testing.T, *suite, ran) {
	return func(t *testing.T, s *suite, r ran) {
		t.Helper()
		status("ok")(t, s, r)
		for _, w := range want {
			if !strings.Contains(r.Stdout, w) {
				t.Errorf("stdout lacks %q:\n%s", w, r.Stdout)
			}
		}
	}
}

// noSecret checks that nothing the test planted on the host shows in the output.
func noSecret(t *testing.T, s *suite, r ran) {
	t.Helper()
	if strings.Contains(r.Stdout+r.Stderr, s.secret) {
		t.Errorf("a host secret reached the program:\n%s%s", r.Stdout, r.Stderr)
	}
}

// field returns the integer after "key=" in out, or -1.
func field(out, key string) int64 {
	i := strings.Index(out, key+"=")
	if i < 0 {
		return -1
	}
	f := strings.FieldsFunc(out[i+len(key)+1:], func(r rune) bool { return r < '0' || r > '9' })
	if len(f) == 0 {
		return -1
	}
	n, _ := strconv.ParseInt(f[0], 10, 64)
	return n
}

const eperm = "Operation not permitted"

func cases() []hcase {
	return []hcase{
		{name: "busy loop", src: "busy_loop.c", wall: time.Minute, check: status("time_limit (cpu)")},
		{name: "sleep forever", src: "sleep_forever.c", check: status("time_limit (wall)")},
		// The pids limit stops the bomb; the run then ends at its CPU or wall limit. Or at its
		// memory limit: every fork the pids limit refuses has already made a task, a kernel stack
		// and page tables, charged to the command's memory cgroup and freed only after an RCU
		// grace period, and on some kernels (6.18 here) thousands of refused forks a second pile
		// up past 128 MiB and the cgroup's OOM killer ends the run. Each is the bomb contained;
		// the host checks after every case prove nothing of it is left.
		{name: "fork bomb", src: "fork_bomb.c", wall: 10 * time.Second, check: status("time_limit (cpu)", "time_limit (wall)", "memory_limit"),
			rootless: status("time_limit (cpu)", "time_limit (wall)", "memory_limit"),
			note:     "no pids or cpuacct cgroup: RLIMIT_NPROC caps the processes and, RLIMIT_CPU being per process, the wall clock ends the run"},
		{name: "thread bomb", src: "thread_bomb.c", check: threads(limits.Processes),
			rootless: threads(2 * limits.Processes),
			note:     "no pids cgroup: RLIMIT_NPROC, counted per user namespace, bounds the threads near (not exactly at) the limit"},
		{name: "memory bomb", src: "memory_bomb.c", wall: time.Minute, check: status("memory_limit"),
			rootless: func(t *testing.T, s *suite, r ran) {
				if r.status() == "memory_limit" {
					return
				}
				status("runtime_error (exit 3)")(t, s, r)
				// RLIMIT_DATA is set at twice the limit (it counts memory mapped, not touched).
				if n := field(r.Stdout, "mib"); n < 0 || n<<20 > 2*limits.Memory {
					t.Errorf("allocated %d MiB under a limit of %d MiB (RLIMIT_DATA %d MiB)", n, limits.Memory>>20, 2*limits.Memory>>20)
				}
			},
			note: "no memory cgroup: RLIMIT_DATA at twice the limit makes malloc fail; the program reports it, the status is not memory_limit"},
		{name: "output flood", src: "output_flood.c", check: func(t *testing.T, s *suite, r ran) {
			status("output_limit")(t, s, r)
			if !r.StdoutTruncated || int64(len(r.Stdout)) > limits.Output {
				t.Errorf("stdout: %d bytes, truncated=%v; want at most %d, truncated", len(r.Stdout), r.StdoutTruncated, limits.Output)
			}
		}},
		diskFill("/work", sandboxConfig.WorkSize), diskFill("/tmp", sandboxConfig.TmpSize), diskFill("/dev/shm", sandboxConfig.ShmSize),
		{name: "fd exhaustion", src: "fd_exhaust.c", check: func(t *testing.T, s *suite, r ran) {
			outputHas("err=Too many open files")(t, s, r)
			if n := field(r.Stdout, "fds"); n < 1 || n > int64(limits.OpenFiles) {
				t.Errorf("opened %d files under a limit of %d", n, limits.OpenFiles)
			}
		}},
		{name: "setsid double-fork daemon", src: "daemon.c",
			args:  func(s *suite) []string { return []string{s.marker()} },
			check: outputHas("detached")},
		{name: "kill -1 and kill 1", src: "kill_all.c", check: outputHas("kill(-1)=", "kill(1)=")},
		{name: "ptrace parent and pid 1", src: "ptrace.c", check: outputHas("parent="+eperm, "init="+eperm)},
		{name: "mount unshare chroot sethostname", src: "privileged.c", check: outputHas(
			"mount="+eperm, "umount="+eperm, "unshare_user="+eperm, "unshare_mount="+eperm,
			"chroot="+eperm, "sethostname="+eperm)},
		{name: "host secrets", src: "read_files.c",
			args: func(s *suite) []string {
				return append(append([]string{}, s.secrets...), "/etc/shadow", "/proc/1/environ", "/proc/kcore")
			},
			check: func(t *testing.T, s *suite, r ran) {
				status("ok")(t, s, r)
				noSecret(t, s, r)
				for _, line := range strings.Split(strings.TrimSpace(r.Stdout), "\n") {
					if strings.Contains(line, ": read ") {
						t.Errorf("the program read a host file: %s", line)
					}
				}
			}},
		{name: "write to /usr, /etc and the host's /tmp", src: "write_files.c",
			args: func(s *suite) []string {
				return []string{"/usr/sandrun-" + s.tok, "/etc/sandrun-" + s.tok, s.marker()}
			},
			check: func(t *testing.T, s *suite, r ran) {
				status("ok")(t, s, r)
				for _, p := range []string{"/usr/", "/etc/"} {
					if strings.Contains(r.Stdout, p+"sandrun-"+s.tok+": written") {
						t.Errorf("the program wrote into %s inside the sandbox", p)
					}
				}
				absent(t, "/usr/sandrun-"+s.tok, "/etc/sandrun-"+s.tok, s.marker())
			}},
		{name: "network", src: "network.c",
			args: func(s *suite) []string { return []string{strconv.Itoa(s.listener.Addr().(*net.TCPAddr).Port)} },
			check: outputHas("host=Connection refused\n", "public=Network is unreachable\n",
				"udp=Network is unreachable\n", "netlink="+eperm+"\n", "interfaces=lo,\n")},
		{name: "environment leak", src: "env.c", check: func(t *testing.T, s *suite, r ran) {
			status("ok")(t, s, r)
			noSecret(t, s, r)
			if strings.Contains(r.Stdout, "SANDRUN_HOSTILE_SECRET") {
				t.Errorf("sandrun's environment reached the program:\n%s", r.Stdout)
			}
		}},
		{name: "/proc shows only the run", src: "proc.c", check: func(t *testing.T, s *suite, r ran) {
			status("ok")(t, s, r)
			noSecret(t, s, r)
			if n := field(r.Stdout, "processes"); n < 1 || n > 2 {
				t.Errorf("the program sees %d processes, want itself (and at most its init):\n%s", n, r.Stdout)
			}
		}},
		{name: "20 MiB of stdin", src: "stdin_count.c", stdin: bigStdin, check: func(t *testing.T, s *suite, r ran) {
			b := bigStdin()
			var sum uint64
			for _, c := range b {
				sum = (sum*31 + uint64(c)) & 0xffffffff
			}
			outputHas(fmt.Sprintf("bytes=%d sum=%d", len(b), sum))(t, s, r)
		}},
		{name: "20 MiB of stdin, never read", src: "stdin_ignore.c", stdin: bigStdin, check: status("ok")},
		{name: "32-bit syscall (int 0x80)", src: "int80.c", check: func(t *testing.T, s *suite, r ran) {
			status("signaled "+s.int80Signal(t))(t, s, r)
		}},
	}
}

// threads checks that the thread bomb got at least one thread and fewer than max.
func threads(max int) func(*testing.T, *suite, ran) {
	return func(t *testing.T, s *suite, r ran) {
		t.Helper()
		status("ok")(t, s, r)
		if n := field(r.Stdout, "threads"); n < 1 || n >= int64(max) {
			t.Errorf("got %d threads, want fewer than %d (limit %d processes): %s", n, max, limits.Processes, r.Stdout)
		}
	}
}

func diskFill(dir string, size int64) hcase {
	return hcase{name: "disk fill " + dir, src: "disk_fill.c",
		args: func(*suite) []string { return []string{dir} },
		check: func(t *testing.T, s *suite, r ran) {
			outputHas("err=No space left on device")(t, s, r)
			if n := field(r.Stdout, "wrote"); n < 0 || n > size {
				t.Errorf("wrote %d bytes into %s, sized %d", n, dir, size)
			}
		}}
}

func bigStdin() []byte {
	b := bytes.Repeat([]byte("0123456789abcdef"), 20<<20/16)
	for i := range b {
		b[i] ^= byte(i >> 12)
	}
	return b
}

// marker is a host path a program tries to create; it must never appear on the host.
func (s *suite) marker() string { return filepath.Join(os.TempDir(), "sandrun-marker-"+s.tok) }

func TestHostile(t *testing.T) {
	s := newSuite(t)
	t.Run("the host checks see leftovers", func(t *testing.T) { checkTheChecks(t) })
	for _, c := range cases() {
		t.Run(c.name, func(t *testing.T) {
			before := takeSnapshot()
			var args []string
			if c.args != nil {
				args = c.args(s)
			}
			var stdin []byte
			if c.stdin != nil {
				stdin = c.stdin()
			}
			lim := limits
			if c.wall != 0 {
				lim.WallTime = c.wall
			}
			lim.CPUTime, lim.WallTime = slow(lim.CPUTime), slow(lim.WallTime)
			r := s.run(t, c.src, args, stdin, lim, nil)
			t.Logf("%s after %v: %s", r.status(), r.WallTime.Round(time.Millisecond), firstLine(r.Stdout))
			check, note := c.check, ""
			if s.rlimitsOnly && c.rootless != nil {
				check, note = c.rootless, c.note
			}
			check(t, s, r)
			s.checkHost(t, before)
			absent(t, s.marker())
			outcome := r.status()
			if n := field(r.Stdout, "threads"); n >= 0 {
				outcome += fmt.Sprintf(", %d threads", n)
			}
			if strings.HasPrefix(outcome, "time_limit") {
				outcome += fmt.Sprintf(" after %.1fs", r.WallTime.Seconds())
			}
			if note != "" {
				outcome += "; " + note
			}
			s.record(t, c.name, outcome)
		})
	}
	s.special(t)
	t.Run("through the executor", s.frontDoor)
	t.Run("through the executor's pool", s.pooled)
	t.Run("defence in depth", s.defence)
	s.report(t)
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	return s
}

// checkTheChecks proves the host checks are not blind: a stray process (harmless: sleep) and a
// stray cgroup under the guard's must both be reported.
func checkTheChecks(t *testing.T) {
	before := takeSnapshot()
	if len(before.cgroups) == 0 {
		t.Fatal("no cgroup of the guard found: the leftover-cgroup check would be blind")
	}
	stray := exec.Command("sleep", "30")
	if err := stray.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { stray.Process.Kill(); stray.Wait() }()
	// Until its execve the stray is still this test binary; on a slow (emulated) host that can
	// take a while, so wait for it to be sleep 30 as the check reads it: by its command line.
	// Its comm is no sign: the kernel names the process during the execve, before it has set
	// up the new program's arguments, and a command line read in between is empty.
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", stray.Process.Pid)); err == nil && string(b) == "sleep\x0030\x00" {
			break
		}
	}
	want := []string{fmt.Sprintf("process %d (sleep 30", stray.Process.Pid)}
	var dir string
	for d := range before.cgroups {
		dir = filepath.Join(d, "sandrun-hostile-stray")
		break
	}
	switch err := os.Mkdir(dir, 0o755); {
	case err == nil:
		defer os.Remove(dir)
		want = append(want, "cgroup "+dir)
	case os.Geteuid() != 0 && errors.Is(err, fs.ErrPermission):
		t.Logf("the guard's cgroups are not writable by uid %d, nor by its sandboxes: no cgroup can be left behind", os.Geteuid())
	default:
		t.Fatal(err)
	}
	got := strings.Join(leftovers(before), "\n")
	for _, want := range want {
		if !strings.Contains(got, want) {
			t.Errorf("leftovers do not list %q:\n%s", want, got)
		}
	}
	t.Logf("watching %d cgroups", len(before.cgroups))
}
