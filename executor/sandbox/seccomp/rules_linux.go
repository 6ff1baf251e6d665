//go:build linux && (amd64 || arm64)

package seccomp

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// socketFamilies are the only socket families a program may create. The network namespace has
// no interface but lo, so AF_INET/AF_INET6 reach nothing outside.
var socketFamilies = []uint32{unix.AF_UNIX, unix.AF_INET, unix.AF_INET6}

// faultSignals are the signals the Go runtime takes for a fault of its own (and dies of) unless
// their si_code says they came from kill or tgkill. rt_sigqueueinfo, rt_tgsigqueueinfo and
// pidfd_send_signal let a process pick any negative si_code, so a command sharing the init's
// uid (rootless) could crash the sandbox's init with them.
var faultSignals = []uint32{uint32(unix.SIGILL), uint32(unix.SIGTRAP), uint32(unix.SIGBUS),
	uint32(unix.SIGFPE), uint32(unix.SIGSEGV), uint32(unix.SIGSTKFLT), uint32(unix.SIGSYS)}

func deny(name string, nr int, why string) Rule {
	return Rule{Syscall: name, Nr: nr, Action: Deny, Override: why}
}

// commonOverrides are where the filter is stricter than Docker's profile, on every architecture.
var commonOverrides = []Rule{
	deny("ptrace", unix.SYS_PTRACE, "debugging other processes"),
	deny("process_vm_readv", unix.SYS_PROCESS_VM_READV, "reading other processes' memory"),
	deny("process_vm_writev", unix.SYS_PROCESS_VM_WRITEV, "writing other processes' memory"),
	deny("name_to_handle_at", unix.SYS_NAME_TO_HANDLE_AT, "file handles (their use, open_by_handle_at, is denied anyway)"),
	deny("adjtimex", unix.SYS_ADJTIMEX, "the clock; nothing here needs it"),
	deny("clock_adjtime", unix.SYS_CLOCK_ADJTIME, "the clock; nothing here needs it"),
	{Syscall: "socket", Nr: unix.SYS_SOCKET, Action: Allow, When: "its family is AF_UNIX, AF_INET or AF_INET6",
		Otherwise: Deny, Override: "netlink, packet, vsock, alg, bluetooth… reach the kernel or the host",
		cond: &cond{Arg: 0, In: socketFamilies}},
	{Syscall: "socketpair", Nr: unix.SYS_SOCKETPAIR, Action: Allow, When: "its family is AF_UNIX, AF_INET or AF_INET6",
		Otherwise: Deny, Override: "as socket", cond: &cond{Arg: 0, In: socketFamilies}},
	{Syscall: "ioctl", Nr: unix.SYS_IOCTL, Action: Deny, When: "its request is TIOCSTI or TIOCLINUX",
		Otherwise: Allow, Override: "terminal input injection (only matters if a terminal ever reaches the program)",
		cond: &cond{Arg: 1, In: []uint32{unix.TIOCSTI, unix.TIOCLINUX}}},
	{Syscall: "rt_sigqueueinfo", Nr: unix.SYS_RT_SIGQUEUEINFO, Action: Deny, When: faultWhen, Otherwise: Allow,
		Override: faultWhy, cond: &cond{Arg: 1, In: faultSignals}},
	{Syscall: "rt_tgsigqueueinfo", Nr: unix.SYS_RT_TGSIGQUEUEINFO, Action: Deny, When: faultWhen, Otherwise: Allow,
		Override: faultWhy, cond: &cond{Arg: 2, In: faultSignals}},
	{Syscall: "pidfd_send_signal", Nr: unix.SYS_PIDFD_SEND_SIGNAL, Action: Deny, When: faultWhen, Otherwise: Allow,
		Override: faultWhy, cond: &cond{Arg: 1, In: faultSignals}},
}

const (
	faultWhen = "its signal is SIGILL, SIGTRAP, SIGBUS, SIGFPE, SIGSEGV, SIGSTKFLT or SIGSYS"
	faultWhy  = "with a forged si_code such a signal crashes the sandbox's (Go) init"
)

// pol is the whole policy on this architecture, made on first use rather than at package
// init: every sandrun process links this package, few build a filter (a one-shot `sandrun run`
// host does not; its sandbox's init does).
var pol = sync.OnceValue(func() policySet {
	p := policySet{maxKnown: highestName(), byNr: map[int]Rule{}}
	p.rules, p.dockerMax = policy(&p.untranslated)
	for _, r := range p.rules {
		p.byNr[r.Nr] = r
	}
	return p
})

// policy returns the rules by number: Docker's profile with the overrides applied, and the
// highest number Docker's profile names here (a call not in the rules fails with EPERM up to it
// and with ENOSYS beyond). It adds to untranslated the calls whose Docker rules the filter cannot
// express (and so denies), unless an override decides them.
func policy(untranslated *[]string) ([]Rule, int) {
	nrOf := map[string]int{}
	for nr, n := range names {
		nrOf[n] = nr
	}
	out := map[int]Rule{}
	conditional := map[string][]dockerRule{}
	top := 0
	for _, d := range docker {
		for _, n := range d.Names {
			nr, ok := nrOf[n]
			if !ok {
				continue // another architecture's call (chown32, socketcall, …)
			}
			top = max(top, nr)
			if len(d.Args) == 0 {
				out[nr] = Rule{Syscall: n, Nr: nr, Action: d.Action}
			} else {
				conditional[n] = append(conditional[n], d)
			}
		}
	}
	for _, n := range slices.Sorted(maps.Keys(conditional)) {
		if _, ok := out[nrOf[n]]; !ok {
			out[nrOf[n]] = fromDocker(n, nrOf[n], conditional[n], untranslated)
		}
	}
	for _, r := range append(slices.Clip(commonOverrides), archOverrides...) {
		out[r.Nr] = r
	}
	return slices.SortedFunc(maps.Values(out), func(a, b Rule) int { return cmp.Compare(a.Nr, b.Nr) }), top
}

// fromDocker turns the conditional rules Docker has for one call into a Rule: alternatives that
// each compare the same argument for equality become an allow-list of values; a single "no bit
// of this mask" test becomes a mask. Anything else is denied (and listed in untranslated).
func fromDocker(name string, nr int, ds []dockerRule, untranslated *[]string) Rule {
	r := Rule{Syscall: name, Nr: nr, Action: Deny}
	if len(ds) == 1 && len(ds[0].Args) == 1 && ds[0].Action == Allow {
		a := ds[0].Args[0]
		if a.Op == "SCMP_CMP_MASKED_EQ" && a.ValueTwo == 0 && a.Value <= 0xffffffff {
			return Rule{Syscall: name, Nr: nr, Action: Deny, Otherwise: Allow, cond: &cond{Arg: int(a.Index), Mask: uint32(a.Value)},
				When: fmt.Sprintf("argument %d has a bit of %#x set", a.Index, a.Value)}
		}
	}
	var in []uint32
	var words []string
	for _, d := range ds {
		if d.Action != Allow || len(d.Args) != 1 || d.Args[0].Op != "SCMP_CMP_EQ" || d.Args[0].Index != ds[0].Args[0].Index || d.Args[0].Value > 0xffffffff {
			*untranslated = append(*untranslated, name)
			return r
		}
		in = append(in, uint32(d.Args[0].Value))
		words = append(words, fmt.Sprintf("%#x", d.Args[0].Value))
	}
	return Rule{Syscall: name, Nr: nr, Action: Allow, Otherwise: Deny, cond: &cond{Arg: int(ds[0].Args[0].Index), In: in},
		When: fmt.Sprintf("argument %d is %s", ds[0].Args[0].Index, strings.Join(words, ", "))}
}

// decide is the policy read directly (the filter must agree; tests compare the two): the action
// for the native call nr with these arguments (missing ones are 0).
func decide(nr int, args ...uint64) Action {
	pl := pol()
	if nr < 0 || nr > pl.maxKnown {
		return NoSys
	}
	r, ok := pl.byNr[nr]
	switch {
	case !ok && nr > pl.dockerMax:
		return NoSys
	case !ok:
		return Deny
	case r.cond == nil:
		return r.Action
	}
	var v uint32
	if r.cond.Arg < len(args) {
		v = uint32(args[r.cond.Arg])
	}
	if r.cond.holds(v) {
		return r.Action
	}
	return r.Otherwise
}

// holds reports whether the condition holds for the argument's low 32 bits v.
func (c *cond) holds(v uint32) bool {
	switch {
	case c.Mask != 0:
		return v&c.Mask != 0
	case c.In != nil:
		return slices.Contains(c.In, v)
	default:
		return !slices.Contains(c.NotIn, v)
	}
}
