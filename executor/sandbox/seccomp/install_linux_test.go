//go:build linux && (amd64 || arm64)

package seccomp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

// The tests re-execute the test binary as a child (childEnv set) that installs the filter and
// then makes calls or execs a program; the parent checks what happened. Every probe passes
// arguments the kernel rejects anyway, so a broken filter cannot do harm even as root.

const childEnv = "SECCOMP_TEST_CHILD"

// markErrno is a rare errno the "probe" child's filter returns for Deny rules, so an error seen
// there provably came from the filter, not from the kernel or missing privileges.
const markErrno = unix.EHWPOISON

func TestMain(m *testing.M) {
	if mode := os.Getenv(childEnv); mode != "" {
		os.Exit(child(mode, os.Args[1:]))
	}
	os.Exit(m.Run())
}

const bad = ^uintptr(0) // -1: a bad fd or pid

// probes make each call with harmless arguments. Names with a suffix test one case of a
// conditional rule; those ending in "(allowed)" must get past the filter.
var probes = map[string][6]uintptr{
	"ptrace":            {unix.SYS_PTRACE, unix.PTRACE_ATTACH, 0x3ffffff0},
	"process_vm_readv":  {unix.SYS_PROCESS_VM_READV, 0x3ffffff0, 0, 0, 0, 0},
	"process_vm_writev": {unix.SYS_PROCESS_VM_WRITEV, 0x3ffffff0, 0, 0, 0, 0},
	"unshare":           {unix.SYS_UNSHARE, 0},
	"setns":             {unix.SYS_SETNS, bad, 0},
	"mount":             {unix.SYS_MOUNT, 0, 0, 0, 0, 0},
	"umount2":           {unix.SYS_UMOUNT2, 0, 0},
	"pivot_root":        {unix.SYS_PIVOT_ROOT, 0, 0},
	"chroot":            {unix.SYS_CHROOT, 0},
	"mount_setattr":     {unix.SYS_MOUNT_SETATTR, bad, 0, 0, 0, 0},
	"open_tree":         {unix.SYS_OPEN_TREE, bad, 0, 0},
	"open_tree_attr":    {unix.SYS_OPEN_TREE_ATTR, bad, 0, 0, 0, 0},
	"move_mount":        {unix.SYS_MOVE_MOUNT, bad, 0, bad, 0, 0},
	"fsopen":            {unix.SYS_FSOPEN, 0, 0},
	"fsconfig":          {unix.SYS_FSCONFIG, bad, 0, 0, 0, 0},
	"fsmount":           {unix.SYS_FSMOUNT, bad, 0, 0},
	"fspick":            {unix.SYS_FSPICK, bad, 0, 0},
	"listns":            {unix.SYS_LISTNS, 0, 0, 0, 0},
	"open_by_handle_at": {unix.SYS_OPEN_BY_HANDLE_AT, bad, 0, 0},
	"name_to_handle_at": {unix.SYS_NAME_TO_HANDLE_AT, bad, 0, 0, 0, 0},
	"bpf":               {unix.SYS_BPF, 0xffff, 0, 0},
	"perf_event_open":   {unix.SYS_PERF_EVENT_OPEN, 0, 0, bad, bad, 0},
	"userfaultfd":       {unix.SYS_USERFAULTFD, 0xffffffff},
	"io_uring_setup":    {unix.SYS_IO_URING_SETUP, 0, 0},
	"io_uring_enter":    {unix.SYS_IO_URING_ENTER, bad, 0, 0, 0, 0},
	"io_uring_register": {unix.SYS_IO_URING_REGISTER, bad, 0, 0, 0},
	"keyctl":            {unix.SYS_KEYCTL, 0xffff, 0, 0, 0, 0},
	"add_key":           {unix.SYS_ADD_KEY, 0, 0, 0, 0, 0},
	"request_key":       {unix.SYS_REQUEST_KEY, 0, 0, 0, 0},
	"fanotify_init":     {unix.SYS_FANOTIFY_INIT, 0xffffffff, 0},
	"lookup_dcookie":    {unix.SYS_LOOKUP_DCOOKIE, 0, 0, 0},
	"syslog":            {unix.SYS_SYSLOG, 0xffff, 0, 0},
	"init_module":       {unix.SYS_INIT_MODULE, 0, 0, 0},
	"finit_module":      {unix.SYS_FINIT_MODULE, bad, 0, 0},
	"delete_module":     {unix.SYS_DELETE_MODULE, 0, 0},
	"kexec_load":        {unix.SYS_KEXEC_LOAD, 0, 0, 0, 0xffffffff},
	"kexec_file_load":   {unix.SYS_KEXEC_FILE_LOAD, bad, bad, 0, 0, 0xffffffff},
	"reboot":            {unix.SYS_REBOOT, 0, 0, 0, 0},
	"swapon":            {unix.SYS_SWAPON, 0, 0},
	"swapoff":           {unix.SYS_SWAPOFF, 0},
	"clock_settime":     {unix.SYS_CLOCK_SETTIME, unix.CLOCK_REALTIME, 0},
	"clock_adjtime":     {unix.SYS_CLOCK_ADJTIME, 0xffff, 0},
	"settimeofday":      {unix.SYS_SETTIMEOFDAY, 1, 0},
	"adjtimex":          {unix.SYS_ADJTIMEX, 0},
	"acct":              {unix.SYS_ACCT, 1},
	"quotactl":          {unix.SYS_QUOTACTL, 0xffffffff, 0, 0, 0},
	"quotactl_fd":       {unix.SYS_QUOTACTL_FD, bad, 0, 0, 0},
	"sethostname":       {unix.SYS_SETHOSTNAME, 0, 100000},
	"setdomainname":     {unix.SYS_SETDOMAINNAME, 0, 100000},
	"vhangup":           {unix.SYS_VHANGUP}, // the child has no controlling terminal (setsid)
	"clone3":            {unix.SYS_CLONE3, 0, 0},
	// clone with CLONE_THREAD but not CLONE_SIGHAND fails with EINVAL before anything is made.
	"clone/newuser":      {unix.SYS_CLONE, unix.CLONE_THREAD | unix.CLONE_NEWUSER},
	"clone/newns":        {unix.SYS_CLONE, unix.CLONE_THREAD | unix.CLONE_NEWNS},
	"clone/newpid":       {unix.SYS_CLONE, unix.CLONE_THREAD | unix.CLONE_NEWPID},
	"clone/newnet":       {unix.SYS_CLONE, unix.CLONE_THREAD | unix.CLONE_NEWNET},
	"clone/newuts":       {unix.SYS_CLONE, unix.CLONE_THREAD | unix.CLONE_NEWUTS},
	"clone/newipc":       {unix.SYS_CLONE, unix.CLONE_THREAD | unix.CLONE_NEWIPC},
	"clone/newcgroup":    {unix.SYS_CLONE, unix.CLONE_THREAD | unix.CLONE_NEWCGROUP},
	"clone (allowed)":    {unix.SYS_CLONE, unix.CLONE_THREAD},
	"socket/netlink":     {unix.SYS_SOCKET, unix.AF_NETLINK, unix.SOCK_RAW, 0},
	"socket/vsock":       {unix.SYS_SOCKET, unix.AF_VSOCK, unix.SOCK_STREAM, 0},
	"socket/packet":      {unix.SYS_SOCKET, unix.AF_PACKET, unix.SOCK_RAW, 0},
	"socket/alg":         {unix.SYS_SOCKET, unix.AF_ALG, unix.SOCK_SEQPACKET, 0},
	"socket/key":         {unix.SYS_SOCKET, unix.AF_KEY, unix.SOCK_RAW, 2},
	"socket/bluetooth":   {unix.SYS_SOCKET, unix.AF_BLUETOOTH, unix.SOCK_RAW, 0},
	"socketpair/netlink": {unix.SYS_SOCKETPAIR, unix.AF_NETLINK, unix.SOCK_DGRAM, 0, 0},
	"ioctl/TIOCSTI":      {unix.SYS_IOCTL, bad, unix.TIOCSTI, 0},
	"ioctl/TIOCLINUX":    {unix.SYS_IOCTL, bad, unix.TIOCLINUX, 0},
	"ioctl (allowed)":    {unix.SYS_IOCTL, bad, unix.TCGETS, 0},
	// Overrides and Docker's argument rules added with the allow-list.
	"personality/addr_no_randomize": {unix.SYS_PERSONALITY, 0x0040000},
	"personality/read_implies_exec": {unix.SYS_PERSONALITY, 0x0400000},
	"rt_sigqueueinfo/SIGSEGV":       {unix.SYS_RT_SIGQUEUEINFO, 0x3ffffff0, uintptr(unix.SIGSEGV), 0},
	"rt_tgsigqueueinfo/SIGBUS":      {unix.SYS_RT_TGSIGQUEUEINFO, 0x3ffffff0, 0x3ffffff0, uintptr(unix.SIGBUS), 0},
	"pidfd_send_signal/SIGSYS":      {unix.SYS_PIDFD_SEND_SIGNAL, bad, uintptr(unix.SIGSYS), 0, 0},
	"pidfd_send_signal (allowed)":   {unix.SYS_PIDFD_SEND_SIGNAL, bad, uintptr(unix.SIGTERM), 0, 0},
	"move_pages":                    {unix.SYS_MOVE_PAGES, 0x3ffffff0, 0, 0, 0, 0},
	"kcmp":                          {unix.SYS_KCMP, 0x3ffffff0, 0x3ffffff0, 0, 0, 0},
	"socket/unknown family":         {unix.SYS_SOCKET, 0xffff, unix.SOCK_STREAM, 0},
}

// allowedProbes are calls that must work under the filter (result 0), closed after.
var allowedProbes = map[string][3]uintptr{
	"socket/unix (allowed)":  {unix.AF_UNIX, unix.SOCK_STREAM, 0},
	"socket/inet (allowed)":  {unix.AF_INET, unix.SOCK_STREAM, 0},
	"socket/inet6 (allowed)": {unix.AF_INET6, unix.SOCK_DGRAM, 0},
}

func child(mode string, args []string) int {
	switch mode {
	case "none", "bench-bare":
	case "probe":
		runtime.LockOSThread()
		if err := install(markErrno); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 100
		}
	default:
		if err := Install(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 100
		}
	}
	switch {
	case mode == "probe":
		got := map[string]int{}
		for name, p := range probes {
			_, _, e := unix.Syscall6(p[0], p[1], p[2], p[3], p[4], p[5], 0)
			got[name] = int(e)
		}
		for name, p := range allowedProbes {
			fd, _, e := unix.Syscall(unix.SYS_SOCKET, p[0], p[1], p[2])
			got[name] = int(e)
			if e == 0 {
				unix.Close(int(fd))
			}
		}
		json.NewEncoder(os.Stdout).Encode(got)
		return 0
	case strings.HasPrefix(mode, "bench-"):
		n, _ := strconv.Atoi(args[0])
		return benchChild(n)
	case mode == "x32":
		unix.RawSyscall(x32Bit|unix.SYS_GETPID, 0, 0, 0)
		return 0
	case mode == "exec" || mode == "none":
		err := syscall.Exec(args[0], args, []string{"PATH=/usr/bin:/bin"})
		fmt.Fprintln(os.Stderr, err)
		return 101
	}
	return 102
}

// runChild runs the test binary as a child in mode and returns its stdout, stderr and error.
func runChild(t *testing.T, mode string, args ...string) (string, string, error) {
	t.Helper()
	return startChild(mode, args...)
}

func startChild(mode string, args ...string) (string, string, error) {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), childEnv+"="+mode)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.String(), errb.String(), err
}

func TestDeniedCallsFailInTheKernel(t *testing.T) {
	out, stderr, err := runChild(t, "probe")
	if err != nil {
		t.Fatalf("probe child: %v\n%s", err, stderr)
	}
	var got map[string]int
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("probe child output %q: %v", out, err)
	}
	want := map[string]int{}
	for name, p := range probes {
		switch decide(int(p[0]), uint64(p[1]), uint64(p[2]), uint64(p[3]), uint64(p[4]), uint64(p[5])) {
		case Deny:
			want[name] = int(markErrno)
		case NoSys:
			want[name] = int(unix.ENOSYS)
		default:
			want[name] = -1 // allowed: see below
		}
	}
	want["clone (allowed)"] = int(unix.EINVAL)            // reached the kernel, which refused the flags
	want["ioctl (allowed)"] = int(unix.EBADF)             // reached the kernel, which refused the fd
	want["pidfd_send_signal (allowed)"] = int(unix.EBADF) // likewise
	for name := range allowedProbes {
		want[name] = 0
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("errno per call (-want +got):\n%s", diff)
	}
	// Every override and every rule on an argument is probed.
	for _, r := range Policy() {
		if r.Override == "" && r.cond == nil {
			continue
		}
		found := false
		for name := range probes {
			found = found || name == r.Syscall || strings.HasPrefix(name, r.Syscall+"/")
		}
		if !found {
			t.Errorf("rule %s has no probe", r.Syscall)
		}
	}
}

func TestX32CallIsKilled(t *testing.T) {
	if x32Bit == 0 {
		t.Skip("no x32 ABI on this architecture")
	}
	_, stderr, err := runChild(t, "x32")
	wantSIGSYS(t, err, stderr)
}

func wantSIGSYS(t *testing.T, err error, stderr string) {
	t.Helper()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("child ended with %v, want killed by SIGSYS\n%s", err, stderr)
	}
	ws := ee.Sys().(syscall.WaitStatus)
	if !ws.Signaled() || ws.Signal() != syscall.SIGSYS {
		t.Fatalf("child ended with %v, want killed by SIGSYS\n%s", ee, stderr)
	}
}

// cc compiles a C program and returns the binary's path.
func cc(t *testing.T, src string, flags ...string) string {
	t.Helper()
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skip("gcc is not installed (apt-get install gcc)")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "p.c"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "p")
	args := append([]string{"-O0", "-o", bin, filepath.Join(dir, "p.c")}, flags...)
	if out, err := exec.Command(gcc, args...).CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	return bin
}

func TestInt80IsKilled(t *testing.T) {
	if auditArch != unix.AUDIT_ARCH_X86_64 {
		t.Skip("int $0x80 is x86 only")
	}
	// getpid (20) through the 32-bit entry point, from a 64-bit program.
	bin := cc(t, `int main(void){ long r; __asm__ volatile("int $0x80" : "=a"(r) : "a"(20L)); return r > 0 ? 0 : 1; }`)
	// Without the filter the call works (getpid, harmless), unless the kernel has no 32-bit
	// entry at all, where it faults before any filter could see it.
	if _, _, err := runChild(t, "none", bin); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.Sys().(syscall.WaitStatus).Signal() == syscall.SIGSEGV {
			t.Skip("this kernel has no 32-bit system call entry (ia32 emulation off): int $0x80 faults before seccomp")
		}
		t.Fatalf("int $0x80 without the filter: %v", err)
	}
	_, stderr, err := runChild(t, "exec", bin)
	wantSIGSYS(t, err, stderr)
}

func TestOrdinaryProgramsRun(t *testing.T) {
	// pthread_create goes through clone3 (ENOSYS under the filter) and falls back to clone;
	// fork, an AF_INET socket and a denied call reported by the program itself.
	bin := cc(t, `#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
static void *f(void *a) { return (void *)((long)a * 2); }
int main(void) {
	pthread_t t; void *r;
	if (pthread_create(&t, 0, f, (void *)21) || pthread_join(t, &r)) { puts("thread failed"); return 1; }
	pid_t p = fork(); if (p == 0) _exit(7);
	int st; waitpid(p, &st, 0);
	int s = socket(AF_INET, SOCK_STREAM, 0);
	int u = unshare(CLONE_NEWUSER);
	printf("thread=%ld child=%d socket=%s unshare=%s\n", (long)r, WEXITSTATUS(st), s >= 0 ? "ok" : strerror(errno), u == 0 ? "ok" : strerror(errno));
	return 0;
}`, "-pthread")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"c", []string{bin}, "thread=42 child=7 socket=ok unshare=Operation not permitted\n"},
	}
	if py, err := exec.LookPath("python3"); err == nil {
		tests = append(tests, struct {
			name string
			args []string
			want string
		}{"python3", []string{py, "-c", "import os, threading; t = threading.Thread(target=print, args=(6*7,)); t.start(); t.join(); print(os.getpid() > 0)"}, "42\nTrue\n"})
	} else {
		t.Log("python3 not installed: only the C program runs")
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, stderr, err := runChild(t, "exec", tt.args...)
			if err != nil {
				t.Fatalf("%v\n%s", err, stderr)
			}
			if diff := cmp.Diff(tt.want, out); diff != "" {
				t.Errorf("output (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFilterIsActiveAfterExec(t *testing.T) {
	out, stderr, err := runChild(t, "exec", "/bin/grep", "-E", "^(Seccomp|NoNewPrivs):", "/proc/self/status")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	fields := strings.Fields(out)
	got := map[string]int{}
	for i := 0; i+1 < len(fields); i += 2 {
		got[strings.TrimSuffix(fields[i], ":")], _ = strconv.Atoi(fields[i+1])
	}
	if diff := cmp.Diff(map[string]int{"NoNewPrivs": 1, "Seccomp": 2}, got); diff != "" {
		t.Errorf("/proc/self/status after exec (-want +got):\n%s", diff)
	}
}
