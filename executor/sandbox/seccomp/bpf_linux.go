//go:build linux && (amd64 || arm64)

package seccomp

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// highestName is the highest syscall number in names.
func highestName() int {
	m := 0
	for nr := range names {
		m = max(m, nr)
	}
	return m
}

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

// build assembles the filter. denyErrno is the errno of denied calls (EPERM; tests use a rare
// one to prove that an error came from the filter and not from the kernel).
func build(denyErrno unix.Errno) ([]unix.SockFilter, error) {
	pl := pol()
	// The checks before the search return on the spot: a conditional jump reaches only 255
	// instructions ahead.
	p := []insn{
		ld(offArch),
		jeq(auditArch, "native", ""),
		ret(Kill, denyErrno, ""),
		labelled(ld(offNr), "native"),
	}
	if x32Bit != 0 {
		p = append(p, jge(x32Bit, "", "notx32"), ret(Kill, denyErrno, ""),
			labelled(jgt(uint32(pl.maxKnown), "", "known"), "notx32"))
	} else {
		p = append(p, jgt(uint32(pl.maxKnown), "", "known"))
	}
	p = append(p, ret(NoSys, denyErrno, ""))
	// Every number up to maxKnown goes to one place: allow, deny, ENOSYS or a rule's argument
	// test. Runs of numbers going to the same place become one span, and a binary search over
	// the spans' starts finds the place in about log2(spans) comparisons.
	var spans []span
	var blocks []insn
	for nr := 0; nr <= pl.maxKnown; nr++ {
		to := lDeny
		if nr > pl.dockerMax {
			to = lNoSys
		}
		if r, ok := pl.byNr[nr]; ok {
			to = actionLabel(r.Action)
			if r.cond != nil {
				to = fmt.Sprintf("rule%d", nr)
				blocks = append(blocks, condBlock(to, r, denyErrno)...)
			}
		}
		if len(spans) == 0 || spans[len(spans)-1].to != to {
			spans = append(spans, span{uint32(nr), to})
		}
	}
	n := 0
	p = append(p, search(spans, "known", &n)...)
	p = append(p, blocks...)
	p = append(p,
		ret(Allow, denyErrno, lAllow),
		ret(Deny, denyErrno, lDeny),
		ret(NoSys, denyErrno, lNoSys),
		ret(Kill, denyErrno, lKill),
	)
	return assemble(p)
}

// labelled gives in the label l.
func labelled(in insn, l string) insn {
	in.label = l
	return in
}

// ret returns the action a, labelled label.
func ret(a Action, denyErrno unix.Errno, label string) insn {
	k := uint32(unix.SECCOMP_RET_ALLOW)
	switch a {
	case Deny:
		k = unix.SECCOMP_RET_ERRNO | uint32(denyErrno)
	case NoSys:
		k = unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS)
	case Kill:
		k = unix.SECCOMP_RET_KILL_PROCESS
	}
	return insn{code: unix.BPF_RET | unix.BPF_K, k: k, label: label}
}

// span sends the numbers from its start up to the next span's start to one label.
type span struct {
	from uint32
	to   string
}

// search compares the accumulator (the syscall number) with the spans' starts and jumps to the
// span it falls in. label names its first instruction ("" for none); n numbers the labels it
// makes. Every jump to a target is a ja (32-bit offset), so the program may be of any size.
func search(spans []span, label string, n *int) []insn {
	var out []insn
	if len(spans) == 1 {
		out = []insn{ja(spans[0].to)}
	} else {
		mid := len(spans) / 2
		*n++
		left, right := fmt.Sprintf("l%d", *n), fmt.Sprintf("r%d", *n)
		out = append(out, jge(spans[mid].from, "", left), ja(right))
		out = append(out, search(spans[:mid], left, n)...)
		out = append(out, search(spans[mid:], right, n)...)
	}
	out[0].label = label
	return out
}

// condBlock tests r's argument and returns r's Action when the condition holds, else its
// Otherwise.
func condBlock(label string, r Rule, denyErrno unix.Errno) []insn {
	c := r.cond
	b := []insn{ld(uint32(offArgs + 8*c.Arg))}
	b[0].label = label
	hit, miss := label+".hit", label+".miss"
	switch {
	case c.Mask != 0:
		b = append(b, jset(c.Mask, hit, ""))
		b = append(b, ret(r.Otherwise, denyErrno, ""), ret(r.Action, denyErrno, hit))
	case c.In != nil:
		for _, v := range c.In {
			b = append(b, jeq(v, hit, ""))
		}
		b = append(b, ret(r.Otherwise, denyErrno, ""), ret(r.Action, denyErrno, hit))
	default:
		for _, v := range c.NotIn {
			b = append(b, jeq(v, miss, ""))
		}
		b = append(b, ret(r.Action, denyErrno, ""), ret(r.Otherwise, denyErrno, miss))
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
