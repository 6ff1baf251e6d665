//go:build linux && (amd64 || arm64)

package seccomp

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// run interprets a seccomp filter the way the kernel does, on one seccomp_data.
func run(t *testing.T, prog []unix.SockFilter, arch uint32, nr int, args ...uint64) uint32 {
	t.Helper()
	data := make([]byte, 64)
	binary.LittleEndian.PutUint32(data[0:], uint32(nr))
	binary.LittleEndian.PutUint32(data[4:], arch)
	for i, a := range args {
		binary.LittleEndian.PutUint64(data[16+8*i:], a)
	}
	var acc uint32
	for pc := 0; pc < len(prog); pc++ {
		f := prog[pc]
		switch f.Code {
		case unix.BPF_LD | unix.BPF_W | unix.BPF_ABS:
			acc = binary.LittleEndian.Uint32(data[f.K:])
		case unix.BPF_RET | unix.BPF_K:
			return f.K
		case unix.BPF_JMP | unix.BPF_JA:
			pc += int(f.K)
		case unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, unix.BPF_JMP | unix.BPF_JGE | unix.BPF_K,
			unix.BPF_JMP | unix.BPF_JGT | unix.BPF_K, unix.BPF_JMP | unix.BPF_JSET | unix.BPF_K:
			var ok bool
			switch f.Code & 0xf0 {
			case unix.BPF_JEQ:
				ok = acc == f.K
			case unix.BPF_JGE:
				ok = acc >= f.K
			case unix.BPF_JGT:
				ok = acc > f.K
			case unix.BPF_JSET:
				ok = acc&f.K != 0
			}
			if ok {
				pc += int(f.Jt)
			} else {
				pc += int(f.Jf)
			}
		default:
			t.Fatalf("instruction %d: unexpected code %#x", pc, f.Code)
		}
	}
	t.Fatal("filter ran off its end")
	return 0
}

func TestFilterDecisions(t *testing.T) {
	prog, err := build(unix.EPERM)
	if err != nil {
		t.Fatal(err)
	}
	const (
		allow = unix.SECCOMP_RET_ALLOW
		eperm = unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM)
		enosy = unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS)
		kill  = unix.SECCOMP_RET_KILL_PROCESS
	)
	tests := []struct {
		name string
		arch uint32
		nr   int
		args []uint64
		want uint32
	}{
		{"read", auditArch, unix.SYS_READ, nil, allow},
		{"getpid", auditArch, unix.SYS_GETPID, nil, allow},
		{"ptrace", auditArch, unix.SYS_PTRACE, nil, eperm},
		{"mount", auditArch, unix.SYS_MOUNT, nil, eperm},
		{"clone thread", auditArch, unix.SYS_CLONE, []uint64{unix.CLONE_VM | unix.CLONE_THREAD | unix.CLONE_SIGHAND}, allow},
		{"clone newuser", auditArch, unix.SYS_CLONE, []uint64{unix.CLONE_NEWUSER}, eperm},
		{"clone newnet high bits", auditArch, unix.SYS_CLONE, []uint64{1<<40 | unix.CLONE_NEWNET}, eperm},
		{"clone exit signal 0x80", auditArch, unix.SYS_CLONE, []uint64{0x80 | uint64(unix.SIGCHLD)}, allow},
		{"clone3", auditArch, unix.SYS_CLONE3, nil, enosy},
		{"personality query", auditArch, unix.SYS_PERSONALITY, []uint64{0xffffffff}, allow},
		{"personality linux", auditArch, unix.SYS_PERSONALITY, []uint64{0}, allow},
		{"personality linux32", auditArch, unix.SYS_PERSONALITY, []uint64{8}, allow},
		{"personality addr_no_randomize", auditArch, unix.SYS_PERSONALITY, []uint64{0x0040000}, eperm},
		{"personality read_implies_exec", auditArch, unix.SYS_PERSONALITY, []uint64{0x0400000}, eperm},
		{"keyctl", auditArch, unix.SYS_KEYCTL, nil, eperm},
		{"bpf", auditArch, unix.SYS_BPF, nil, eperm},
		{"userfaultfd", auditArch, unix.SYS_USERFAULTFD, nil, eperm},
		{"move_pages (needs CAP_SYS_NICE in Docker)", auditArch, unix.SYS_MOVE_PAGES, nil, eperm},
		{"rt_sigqueueinfo SIGUSR1", auditArch, unix.SYS_RT_SIGQUEUEINFO, []uint64{1, uint64(unix.SIGUSR1)}, allow},
		{"rt_sigqueueinfo SIGSEGV", auditArch, unix.SYS_RT_SIGQUEUEINFO, []uint64{1, uint64(unix.SIGSEGV)}, eperm},
		{"rt_tgsigqueueinfo SIGBUS", auditArch, unix.SYS_RT_TGSIGQUEUEINFO, []uint64{1, 2, uint64(unix.SIGBUS)}, eperm},
		{"pidfd_send_signal SIGSYS", auditArch, unix.SYS_PIDFD_SEND_SIGNAL, []uint64{3, uint64(unix.SIGSYS)}, eperm},
		{"pidfd_send_signal SIGTERM", auditArch, unix.SYS_PIDFD_SEND_SIGNAL, []uint64{3, uint64(unix.SIGTERM)}, allow},
		{"socket unix", auditArch, unix.SYS_SOCKET, []uint64{unix.AF_UNIX}, allow},
		{"socket inet", auditArch, unix.SYS_SOCKET, []uint64{unix.AF_INET}, allow},
		{"socket inet6", auditArch, unix.SYS_SOCKET, []uint64{unix.AF_INET6}, allow},
		{"socket netlink", auditArch, unix.SYS_SOCKET, []uint64{unix.AF_NETLINK}, eperm},
		{"socket vsock", auditArch, unix.SYS_SOCKET, []uint64{unix.AF_VSOCK}, eperm},
		{"socket inet, junk high bits", auditArch, unix.SYS_SOCKET, []uint64{1<<32 | unix.AF_INET}, allow},
		{"socketpair netlink", auditArch, unix.SYS_SOCKETPAIR, []uint64{unix.AF_NETLINK}, eperm},
		{"ioctl TCGETS", auditArch, unix.SYS_IOCTL, []uint64{0, unix.TCGETS}, allow},
		{"ioctl TIOCSTI", auditArch, unix.SYS_IOCTL, []uint64{0, unix.TIOCSTI}, eperm},
		{"unknown newer call", auditArch, pol().maxKnown + 1, nil, enosy},
		{"other arch", unix.AUDIT_ARCH_I386, unix.SYS_READ, nil, kill},
		{"arm 32-bit", unix.AUDIT_ARCH_ARM, 0, nil, kill},
	}
	if x32Bit != 0 {
		tests = append(tests, struct {
			name string
			arch uint32
			nr   int
			args []uint64
			want uint32
		}{"x32 getpid", auditArch, x32Bit | unix.SYS_GETPID, nil, kill})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := run(t, prog, tt.arch, tt.nr, tt.args...); got != tt.want {
				t.Errorf("filter(%s) = %#x, want %#x", tt.name, got, tt.want)
			}
		})
	}
	// Every rule of the policy is reachable and gives its action.
	for _, r := range pol().rules {
		if r.cond != nil {
			continue
		}
		want := map[Action]uint32{Allow: allow, Deny: eperm, NoSys: enosy, Kill: kill}[r.Action]
		if got := run(t, prog, auditArch, r.Nr); got != want {
			t.Errorf("filter(%s) = %#x, want %#x (%v)", r.Syscall, got, want, r.Action)
		}
	}
}

func TestPolicyCoversTheIssueList(t *testing.T) {
	denied := []string{"ptrace", "mount", "umount2", "pivot_root", "chroot", "unshare", "setns",
		"keyctl", "add_key", "request_key", "bpf", "perf_event_open", "userfaultfd",
		"io_uring_setup", "io_uring_enter", "io_uring_register", "kexec_load", "kexec_file_load",
		"init_module", "finit_module", "delete_module", "reboot", "swapon", "swapoff",
		"sethostname", "setdomainname", "acct", "quotactl", "open_by_handle_at", "name_to_handle_at",
		"clock_settime", "settimeofday", "adjtimex", "vhangup", "syslog",
		"process_vm_readv", "process_vm_writev", "fanotify_init", "mount_setattr", "open_tree",
		"move_mount", "fsopen", "fsconfig", "fsmount", "fspick"}
	nrOf := map[string]int{}
	for nr, n := range names {
		nrOf[n] = nr
	}
	for _, n := range denied {
		nr, ok := nrOf[n]
		if !ok {
			continue // not a call on this architecture (lookup_dcookie on arm64, …)
		}
		if a := decide(nr); a == Allow {
			t.Errorf("%s is allowed", n)
		}
	}
	for _, tt := range []struct {
		name string
		args []uint64
	}{
		{"clone", []uint64{unix.CLONE_NEWUSER}}, {"clone3", nil}, {"socket", []uint64{unix.AF_NETLINK}},
		{"personality", []uint64{0x0040000}}, {"rt_sigqueueinfo", []uint64{1, uint64(unix.SIGSEGV)}},
	} {
		if a := decide(nrOf[tt.name], tt.args...); a == Allow {
			t.Errorf("%s%v is allowed", tt.name, tt.args)
		}
	}
	for _, r := range Policy() {
		if Name(r.Nr) != r.Syscall {
			t.Errorf("rule %q has number %d, which is %q", r.Syscall, r.Nr, Name(r.Nr))
		}
	}
}

// TestDockerRulesTranslated fails when Docker's profile has an argument rule the filter cannot
// express (it would deny that call outright, which may break programs Docker runs).
func TestDockerRulesTranslated(t *testing.T) {
	for _, n := range pol().untranslated {
		if !slices.ContainsFunc(append(slices.Clip(commonOverrides), archOverrides...), func(r Rule) bool { return r.Syscall == n }) {
			t.Errorf("Docker's argument rules for %s are not translated and no override decides it", n)
		}
	}
	if pol().dockerMax < unix.SYS_CLOSE_RANGE || pol().dockerMax > pol().maxKnown {
		t.Errorf("dockerMax %d: want a number among the known calls", pol().dockerMax)
	}
}

// TestStricterThanDocker checks, for every known call and a spread of arguments, that the
// filter allows nothing Docker's profile (for a process with no capability) does not. The
// arguments are 32-bit values, as the kernel reads every argument the filter tests.
func TestStricterThanDocker(t *testing.T) {
	values := []uint64{0, 1, 2, 3, 8, 10, 16, 0x7fffffff, 0xffffffff}
	for _, d := range docker {
		for _, a := range d.Args {
			values = append(values, a.Value, a.Value+1, a.Value-1, a.ValueTwo)
		}
	}
	for _, r := range pol().rules {
		if r.cond != nil {
			for _, v := range append(append([]uint32{r.cond.Mask}, r.cond.In...), r.cond.NotIn...) {
				values = append(values, uint64(v))
			}
		}
	}
	values = slices.Compact(slices.Sorted(slices.Values(values)))
	for nr := 0; nr <= pol().maxKnown; nr++ {
		r, conditional := pol().byNr[nr]
		conditional = conditional && r.cond != nil
		for _, v := range values {
			args := make([]uint64, 6)
			if conditional {
				args[r.cond.Arg] = v & 0xffffffff
			} else if v != 0 {
				break // one try is enough
			}
			if decide(nr, args...) == Allow && !dockerAllows(Name(nr), args) {
				t.Errorf("%s%v: allowed here, denied by Docker's profile", Name(nr), args)
			}
		}
	}
}

// dockerAllows evaluates Docker's profile (the generated table) the way libseccomp does.
func dockerAllows(name string, args []uint64) bool {
	for _, d := range docker {
		if d.Action != Allow || !slices.Contains(d.Names, name) {
			continue
		}
		ok := true
		for _, a := range d.Args {
			v := args[a.Index]
			switch a.Op {
			case "SCMP_CMP_EQ":
				ok = ok && v == a.Value
			case "SCMP_CMP_LT":
				ok = ok && v < a.Value
			case "SCMP_CMP_MASKED_EQ":
				ok = ok && v&a.Value == a.ValueTwo
			default:
				ok = false
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func TestName(t *testing.T) {
	for nr, want := range map[int]string{unix.SYS_PTRACE: "ptrace", unix.SYS_EXECVE: "execve", 99999: "syscall 99999"} {
		if got := Name(nr); got != want {
			t.Errorf("Name(%d) = %q, want %q", nr, got, want)
		}
	}
}

func TestFilterSize(t *testing.T) {
	prog, err := build(unix.EPERM)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("filter: %d rules, %d instructions", len(pol().rules), len(prog))
	if _, err := assemble([]insn{jeq(1, "nowhere", "")}); err == nil {
		t.Error("assemble accepted a jump to an unknown label")
	}
}

// TestDocsListThePolicy fails when docs/hardening.md misses an override or an argument rule.
func TestDocsListThePolicy(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "..", "docs", "hardening.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range Policy() {
		if (r.Override != "" || r.cond != nil) && !strings.Contains(string(doc), "`"+r.Syscall+"`") {
			t.Errorf("docs/hardening.md does not list `%s` (%v%s)", r.Syscall, r.Action, map[bool]string{true: ", " + r.When}[r.When != ""])
		}
	}
}

// TestFilterEveryNumber runs every syscall number through the filter (all arguments zero, and
// for rules on an argument each value they name, and one more) and compares with the policy read
// directly: the search over spans must agree with the rules.
func TestFilterEveryNumber(t *testing.T) {
	prog, err := build(unix.EPERM)
	if err != nil {
		t.Fatal(err)
	}
	ret := map[Action]uint32{
		Allow: unix.SECCOMP_RET_ALLOW,
		Deny:  unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM),
		NoSys: unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS),
		Kill:  unix.SECCOMP_RET_KILL_PROCESS,
	}
	allowed := 0
	for nr := 0; nr <= pol().maxKnown+3; nr++ {
		args := [][]uint64{make([]uint64, 6)}
		if r, ok := pol().byNr[nr]; ok && r.cond != nil {
			for _, v := range append(append([]uint32{r.cond.Mask, 12345}, r.cond.In...), r.cond.NotIn...) {
				a := make([]uint64, 6)
				a[r.cond.Arg] = uint64(v)
				args = append(args, a)
			}
		}
		for _, a := range args {
			want := decide(nr, a...)
			if got := run(t, prog, auditArch, nr, a...); got != ret[want] {
				t.Errorf("syscall %d (%s)%v: filter gives %#x, want %v", nr, Name(nr), a, got, want)
			}
		}
		if decide(nr) == Allow {
			allowed++
		}
	}
	t.Logf("%d calls allowed (with zero arguments), %d known, Docker names up to %d", allowed, len(names), pol().dockerMax)
}
