package web

import (
	"fmt"
	"strconv"
	"strings"
)

// matchVersion reports whether version satisfies selector, a range in npm's semver syntax as
// Piston accepts it: "*" or "" (any), "3", "3.x", "3.11", "3.11.2", "=3.11.2", ">=3.8", "<4",
// "~3.11", "^3.8", "1.2 - 1.4", space-separated ranges (all must hold) and "a || b" (either).
// version may have fewer than three parts ("1.21") and a "v" prefix; anything past the numbers
// ("-rc1") is ignored. A selector that does not parse is an error.
func matchVersion(version, selector string) (bool, error) {
	v, ok := parseVersion(version)
	if !ok {
		return false, fmt.Errorf("version %q is not a dotted number", version)
	}
	for _, alt := range strings.Split(selector, "||") {
		cmps, err := parseRange(alt)
		if err != nil {
			return false, err
		}
		if satisfiesAll(v, cmps) {
			return true, nil
		}
	}
	return false, nil
}

type semver [3]int

func (a semver) cmp(b semver) int {
	for i := range a {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

// comparator is one "op version" test.
type comparator struct {
	op string // ">=", ">", "<", "<=", "="
	v  semver
}

func satisfiesAll(v semver, cmps []comparator) bool {
	for _, c := range cmps {
		d := v.cmp(c.v)
		var ok bool
		switch c.op {
		case ">=":
			ok = d >= 0
		case ">":
			ok = d > 0
		case "<":
			ok = d < 0
		case "<=":
			ok = d <= 0
		default:
			ok = d == 0
		}
		if !ok {
			return false
		}
	}
	return true
}

// parseVersion reads up to three leading dotted numbers; missing parts are zero.
func parseVersion(s string) (semver, bool) {
	p, n, ok := parsePartial(strings.TrimSpace(s), false)
	if !ok || n == 0 {
		return semver{}, false
	}
	return p, true
}

// parsePartial reads "1", "1.2", "1.2.3", "1.x", "1.2.*", "*", "" (with an optional "v"). n is
// how many parts were numbers. With wild false, wildcards are refused and a trailing suffix
// such as "-rc1" or ".4" is ignored.
func parsePartial(s string, wild bool) (v semver, n int, ok bool) {
	s = strings.TrimPrefix(strings.TrimPrefix(s, "v"), "=")
	if s == "" {
		return v, 0, wild
	}
	if !wild {
		if i := strings.IndexFunc(s, func(r rune) bool { return r != '.' && (r < '0' || r > '9') }); i >= 0 {
			s = s[:i]
		}
	} else if i := strings.IndexAny(s, "-+"); i >= 0 {
		s = s[:i] // prerelease and build tags do not narrow the match here
	}
	parts := strings.Split(s, ".")
	if len(parts) > 3 {
		if wild {
			return v, 0, false
		}
		parts = parts[:3]
	}
	for i, p := range parts {
		if wild && (p == "x" || p == "X" || p == "*") {
			for _, rest := range parts[i+1:] {
				if rest != "x" && rest != "X" && rest != "*" {
					return v, 0, false
				}
			}
			return v, n, true
		}
		num, err := strconv.Atoi(p)
		if err != nil || num < 0 {
			return v, 0, false
		}
		v[i] = num
		n++
	}
	return v, n, true
}

// bump returns the first version past every version matching the n-part partial v.
func bump(v semver, n int) semver {
	switch n {
	case 1:
		return semver{v[0] + 1, 0, 0}
	case 2:
		return semver{v[0], v[1] + 1, 0}
	}
	return semver{v[0], v[1], v[2] + 1}
}

// parseRange turns one "||"-free range into comparators that must all hold.
func parseRange(r string) ([]comparator, error) {
	fields := strings.Fields(r)
	// Join operators written apart from their version: ">= 3.8".
	for i := 0; i < len(fields)-1; i++ {
		if strings.Trim(fields[i], "<>=~^") == "" && fields[i] != "-" {
			fields[i] += fields[i+1]
			fields = append(fields[:i+1], fields[i+2:]...)
		}
	}
	if len(fields) == 3 && fields[1] == "-" {
		lo, _, ok1 := parsePartial(fields[0], true)
		hi, nhi, ok2 := parsePartial(fields[2], true)
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("%q is not a version range", strings.TrimSpace(r))
		}
		out := []comparator{{">=", lo}}
		switch {
		case nhi == 3:
			out = append(out, comparator{"<=", hi})
		case nhi > 0:
			out = append(out, comparator{"<", bump(hi, nhi)})
		}
		return out, nil
	}
	var out []comparator
	for _, f := range fields {
		c, err := parseSimple(f)
		if err != nil {
			return nil, err
		}
		out = append(out, c...)
	}
	return out, nil
}

// parseSimple expands one primitive, partial, tilde or caret range.
func parseSimple(f string) ([]comparator, error) {
	op := ""
	for _, o := range []string{">=", "<=", ">", "<", "=", "~>", "~", "^"} {
		if strings.HasPrefix(f, o) {
			op, f = o, strings.TrimPrefix(f, o)
			break
		}
	}
	v, n, ok := parsePartial(f, true)
	if !ok || (op != "" && f == "") {
		return nil, fmt.Errorf("%q is not a version selector", op+f)
	}
	if n == 0 { // "*", "x", or an operator before a wildcard
		if op == "<" || op == ">" {
			return []comparator{{"<", semver{}}}, nil // matches nothing, as in npm
		}
		return nil, nil
	}
	switch op {
	case "", "=":
		if n == 3 {
			return []comparator{{"=", v}}, nil
		}
		return []comparator{{">=", v}, {"<", bump(v, n)}}, nil
	case ">=":
		return []comparator{{">=", v}}, nil
	case "<":
		return []comparator{{"<", v}}, nil
	case ">":
		if n == 3 {
			return []comparator{{">", v}}, nil
		}
		return []comparator{{">=", bump(v, n)}}, nil
	case "<=":
		if n == 3 {
			return []comparator{{"<=", v}}, nil
		}
		return []comparator{{"<", bump(v, n)}}, nil
	case "~", "~>":
		return []comparator{{">=", v}, {"<", bump(v, min(n, 2))}}, nil
	default: // "^": the left-most non-zero part may not change
		switch {
		case v[0] != 0 || n == 1:
			return []comparator{{">=", v}, {"<", bump(v, 1)}}, nil
		case v[1] != 0 || n == 2:
			return []comparator{{">=", v}, {"<", bump(v, 2)}}, nil
		}
		return []comparator{{">=", v}, {"<", bump(v, 3)}}, nil
	}
}
