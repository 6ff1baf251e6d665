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
		{"socket unix", auditArch, unix.SYS_SOCKET, []uint64{unix.AF_UNIX}, allow},
		{"socket inet", auditArch, unix.SYS_SOCKET, []uint64{unix.AF_INET}, allow},
		{"socket inet6", auditArch, unix.SYS_SOCKET, []uint64{unix.AF_INET6}, allow},
		{"socket netlink", auditArch, unix.SYS_SOCKET, []uint64{unix.AF_NETLINK}, eperm},
		{"socket vsock", auditArch, unix.SYS_SOCKET, []uint64{unix.AF_VSOCK}, eperm},
		{"socket inet, junk high bits", auditArch, unix.SYS_SOCKET, []uint64{1<<32 | unix.AF_INET}, allow},
		{"socketpair netlink", auditArch, unix.SYS_SOCKETPAIR, []uint64{unix.AF_NETLINK}, eperm},
		{"ioctl TCGETS", auditArch, unix.SYS_IOCTL, []uint64{0, unix.TCGETS}, allow},
		{"ioctl TIOCSTI", auditArch, unix.SYS_IOCTL, []uint64{0, unix.TIOCSTI}, eperm},
		{"unknown newer call", auditArch, maxKnown + 1, nil, enosy},
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
	for _, r := range rules {
		if r.cond != nil {
			continue
		}
		want := map[Action]uint32{Deny: eperm, NoSys: enosy, Kill: kill}[r.Action]
		if got := run(t, prog, auditArch, r.Nr); got != want {
			t.Errorf("filter(%s) = %#x, want %#x (%v)", r.Syscall, got, want, r.Action)
		}
	}
}

func TestPolicyCoversTheIssueList(t *testing.T) {
	want := []string{"ptrace", "mount", "umount2", "pivot_root", "chroot", "unshare", "setns",
		"keyctl", "add_key", "request_key", "bpf", "perf_event_open", "userfaultfd",
		"io_uring_setup", "io_uring_enter", "io_uring_register", "kexec_load", "kexec_file_load",
		"init_module", "finit_module", "delete_module", "reboot", "swapon", "swapoff",
		"sethostname", "setdomainname", "acct", "quotactl", "open_by_handle_at", "name_to_handle_at",
		"lookup_dcookie", "clock_settime", "settimeofday", "adjtimex", "vhangup",
		"process_vm_readv", "process_vm_writev", "fanotify_init", "mount_setattr", "open_tree",
		"move_mount", "fsopen", "fsconfig", "fsmount", "fspick", "clone", "clone3", "socket"}
	have := map[string]Rule{}
	for _, r := range Policy() {
		have[r.Syscall] = r
		if Name(r.Nr) != r.Syscall {
			t.Errorf("rule %q has number %d, which is %q", r.Syscall, r.Nr, Name(r.Nr))
		}
	}
	for _, n := range want {
		if _, ok := have[n]; !ok {
			t.Errorf("policy does not cover %s", n)
		}
	}
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
	t.Logf("filter: %d rules, %d instructions", len(rules), len(prog))
	if _, err := assemble([]insn{jeq(1, "nowhere", "")}); err == nil {
		t.Error("assemble accepted a jump to an unknown label")
	}
}

// TestDocsListThePolicy fails when docs/hardening.md misses a call the filter handles.
func TestDocsListThePolicy(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "..", "docs", "hardening.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range Policy() {
		if !strings.Contains(string(doc), "`"+r.Syscall+"`") {
			t.Errorf("docs/hardening.md does not list `%s` (%v)", r.Syscall, r.Action)
		}
	}
}

// TestFilterEveryNumber runs every syscall number through the filter (all arguments zero) and
// compares with the policy read directly: the binary search must agree with the rules list.
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
	for nr := 0; nr <= maxKnown+3; nr++ {
		want := Allow
		if nr > maxKnown {
			want = NoSys
		}
		for _, r := range rules {
			if r.Nr != nr {
				continue
			}
			want = r.Action
			if c := r.cond; c != nil { // argument c.Arg is 0
				switch {
				case c.Mask != 0:
					want = Allow
				case c.In != nil && !slices.Contains(c.In, 0):
					want = Allow
				case c.NotIn != nil && slices.Contains(c.NotIn, 0):
					want = Allow
				}
			}
		}
		if got := run(t, prog, auditArch, nr); got != ret[want] {
			t.Errorf("syscall %d (%s): filter gives %#x, want %v", nr, Name(nr), got, want)
		}
	}
}
