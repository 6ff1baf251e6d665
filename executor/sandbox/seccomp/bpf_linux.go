//go:build linux && (amd64 || arm64)

package seccomp

import (
	"cmp"
	"fmt"
	"slices"

	"golang.org/x/sys/unix"
)

// rules is the whole policy on this architecture, in the order the filter checks it.
var rules = append(slices.Clip(commonRules), archRules...)

// maxKnown is the highest syscall number in names.
var maxKnown = func() int {
	m := 0
	for nr := range names {
		m = max(m, nr)
	}
	return m
}()

// Offsets into struct seccomp_data.
const (
	offNr   = 0
	offArch = 4
	offArgs = 16 // args[i] at offArgs+8*i, low 32 bits first (little-endian only: amd64, arm64)
)

// insn is one BPF instruction whose jump targets are labels ("" = the next instruction).
type insn struct {
	code   uint16
	k      uint32
	jt, jf string
	label  string // this instruction's own label, if any
}

func ld(off uint32) insn { return insn{code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, k: off} }
func jeq(k uint32, jt, jf string) insn {
	return insn{code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, k: k, jt: jt, jf: jf}
}
func jge(k uint32, jt, jf string) insn {
	return insn{code: unix.BPF_JMP | unix.BPF_JGE | unix.BPF_K, k: k, jt: jt, jf: jf}
}
func jgt(k uint32, jt, jf string) insn {
	return insn{code: unix.BPF_JMP | unix.BPF_JGT | unix.BPF_K, k: k, jt: jt, jf: jf}
}
func jset(k uint32, jt, jf string) insn {
	return insn{code: unix.BPF_JMP | unix.BPF_JSET | unix.BPF_K, k: k, jt: jt, jf: jf}
}
func ja(to string) insn { return insn{code: unix.BPF_JMP | unix.BPF_JA, jt: to} }

// Labels of the shared return instructions.
const (
	lAllow = "allow"
	lDeny  = "deny"
	lNoSys = "nosys"
	lKill  = "kill"
)

func actionLabel(a Action) string {
	switch a {
	case Deny:
		return lDeny
	case NoSys:
		return lNoSys
	case Kill:
		return lKill
	}
	return lAllow
}

// build assembles the filter. denyErrno is the errno of Deny rules (EPERM; tests use a rare one
// to prove that an error came from the filter and not from the kernel).
func build(denyErrno unix.Errno) ([]unix.SockFilter, error) {
	p := []insn{
		ld(offArch),
		jeq(auditArch, "", lKill),
		ld(offNr),
	}
	if x32Bit != 0 {
		p = append(p, jge(x32Bit, lKill, ""))
	}
	p = append(p, jgt(uint32(maxKnown), lNoSys, ""))
	// A binary search over the rules' numbers: an allowed call, the common case, passes about
	// log2(len(rules)) comparisons instead of one per rule.
	var targets []target
	var blocks []insn
	for i, r := range rules {
		to := actionLabel(r.Action)
		if r.cond != nil {
			to = fmt.Sprintf("rule%d", i)
			blocks = append(blocks, condBlock(to, r)...)
		}
		targets = append(targets, target{uint32(r.Nr), to})
	}
	slices.SortFunc(targets, func(a, b target) int { return cmp.Compare(a.nr, b.nr) })
	p = append(p, search(targets, "")...)
	p = append(p, blocks...)
	p = append(p,
		insn{code: unix.BPF_RET | unix.BPF_K, k: unix.SECCOMP_RET_ALLOW, label: lAllow},
		insn{code: unix.BPF_RET | unix.BPF_K, k: unix.SECCOMP_RET_ERRNO | uint32(denyErrno), label: lDeny},
		insn{code: unix.BPF_RET | unix.BPF_K, k: unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS), label: lNoSys},
		insn{code: unix.BPF_RET | unix.BPF_K, k: unix.SECCOMP_RET_KILL_PROCESS, label: lKill},
	)
	return assemble(p)
}

// target is where the search sends one syscall number.
type target struct {
	nr uint32
	to string
}

// search compares the accumulator (the syscall number) with ts, sorted by number, and jumps to
// the matching target, else to allow. label names its first instruction ("" for none).
func search(ts []target, label string) []insn {
	var out []insn
	if len(ts) <= 3 {
		for _, t := range ts {
			out = append(out, jeq(t.nr, t.to, ""))
		}
		out = append(out, ja(lAllow))
	} else {
		mid := len(ts) / 2
		right := fmt.Sprintf("ge%d", ts[mid].nr)
		out = append(out, jge(ts[mid].nr, right, ""))
		out = append(out, search(ts[:mid], "")...)
		out = append(out, search(ts[mid:], right)...)
	}
	out[0].label = label
	return out
}

// condBlock tests r's argument and jumps to r's action or to allow.
func condBlock(label string, r Rule) []insn {
	c, act := r.cond, actionLabel(r.Action)
	b := []insn{ld(uint32(offArgs + 8*c.Arg))}
	b[0].label = label
	switch {
	case c.Mask != 0:
		b = append(b, jset(c.Mask, act, lAllow))
	case c.In != nil:
		for _, v := range c.In {
			b = append(b, jeq(v, act, ""))
		}
		b = append(b, ja(lAllow))
	default:
		for _, v := range c.NotIn {
			b = append(b, jeq(v, lAllow, ""))
		}
		b = append(b, ja(act))
	}
	return b
}

// assemble resolves labels into forward jump offsets.
func assemble(p []insn) ([]unix.SockFilter, error) {
	at := map[string]int{}
	for i, in := range p {
		if in.label != "" {
			at[in.label] = i
		}
	}
	off := func(i int, l string, limit int) (int, error) {
		if l == "" {
			return 0, nil
		}
		t, ok := at[l]
		if !ok || t <= i || t-i-1 > limit {
			return 0, fmt.Errorf("seccomp: build filter: bad jump from %d to %q", i, l)
		}
		return t - i - 1, nil
	}
	out := make([]unix.SockFilter, len(p))
	for i, in := range p {
		f := unix.SockFilter{Code: in.code, K: in.k}
		if in.code == unix.BPF_JMP|unix.BPF_JA {
			o, err := off(i, in.jt, 1<<31)
			if err != nil {
				return nil, err
			}
			f.K = uint32(o)
		} else if in.code&0x07 == unix.BPF_JMP {
			jt, err := off(i, in.jt, 255)
			if err != nil {
				return nil, err
			}
			jf, err := off(i, in.jf, 255)
			if err != nil {
				return nil, err
			}
			f.Jt, f.Jf = uint8(jt), uint8(jf)
		}
		out[i] = f
	}
	if len(out) > unix.BPF_MAXINSNS {
		return nil, fmt.Errorf("seccomp: build filter: %d instructions, more than %d", len(out), unix.BPF_MAXINSNS)
	}
	return out, nil
}
