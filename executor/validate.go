package executor

import (
	"path"
	"strings"
	"unicode/utf8"
)

// Request size bounds. A request past them is refused before any work.
const (
	MaxFiles      = 64
	MaxSourceSize = 16 * mib // all files together
	MaxStdinSize  = 64 * mib
	MaxArgs       = 256
	MaxArgSize    = 64 * kib
)

// Validate checks what of req every executor refuses alike, before any work: the files, main,
// stdin, args and cases. It returns the name of the file to run, or a *RequestError. What
// depends on the executor (the language, the version, the limits) is checked by it.
func Validate(req Request) (main string, err error) {
	if main, err = checkFiles(req); err != nil {
		return "", err
	}
	if err := checkCases(req); err != nil {
		return "", err
	}
	return main, nil
}

// checkFiles validates the file list and returns the main file's name.
func checkFiles(req Request) (string, error) {
	if len(req.Files) == 0 {
		return "", Invalid("files", "no source given: send at least one file (or \"source\")")
	}
	if len(req.Files) > MaxFiles {
		return "", Invalid("files", "%d files sent; at most %d are accepted", len(req.Files), MaxFiles)
	}
	total := 0
	seen := map[string]bool{}
	for i, f := range req.Files {
		field := "files[" + itoa(i) + "].name"
		if err := checkName(field, f.Name); err != nil {
			return "", err
		}
		if seen[f.Name] {
			return "", Invalid(field, "%q appears twice", f.Name)
		}
		seen[f.Name] = true
		total += len(f.Content)
	}
	// A name that is also another's directory ("a" and "a/b") cannot be written: refused here,
	// not found out in the sandbox as an internal error.
	for i, f := range req.Files {
		for dir := path.Dir(f.Name); dir != "."; dir = path.Dir(dir) {
			if seen[dir] {
				return "", Invalid("files["+itoa(i)+"].name", "%q is in the directory %q, which is also sent as a file; rename one of them", f.Name, dir)
			}
		}
	}
	if total > MaxSourceSize {
		return "", Invalid("files", "sources are %s together; at most %s are accepted", FormatBytes(int64(total)), FormatBytes(MaxSourceSize))
	}
	main := req.Main
	if main == "" {
		main = req.Files[0].Name
	} else if !seen[main] {
		return "", Invalid("main", "%q is not one of the files sent", main)
	}
	if len(req.Stdin) > MaxStdinSize {
		return "", Invalid("stdin", "stdin is %s; at most %s is accepted", FormatBytes(int64(len(req.Stdin))), FormatBytes(MaxStdinSize))
	}
	if req.OutputBudget < 0 {
		return "", Invalid("output_budget", "%d is negative; give a number of bytes, or 0 for no total bound", req.OutputBudget)
	}
	if len(req.Args) > MaxArgs {
		return "", Invalid("args", "%d args sent; at most %d are accepted", len(req.Args), MaxArgs)
	}
	for i, a := range req.Args {
		if len(a) > MaxArgSize || strings.IndexByte(a, 0) >= 0 {
			return "", Invalid("args["+itoa(i)+"]", "an argument must be under %s and hold no NUL byte", FormatBytes(MaxArgSize))
		}
	}
	return main, nil
}

// checkName accepts relative slash-separated names made of ordinary characters: no "..", no
// leading "/", no NUL, no control characters, no empty or over-long parts.
func checkName(field, name string) error {
	bad := func(why string) error {
		return Invalid(field, "file name %q is not accepted: %s; use a relative name such as \"main.py\" or \"src/util.c\"", name, why)
	}
	switch {
	case name == "":
		return bad("it is empty")
	case len(name) > 255:
		return bad("it is longer than 255 bytes")
	case !utf8.ValidString(name):
		return bad("it is not valid UTF-8")
	case strings.HasPrefix(name, "/"):
		return bad("it is absolute")
	case name == ".":
		return bad("it names the work dir itself, not a file in it")
	case path.Clean(name) != name:
		return bad("it is not in clean form")
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f || r == '\\' {
			return bad("it holds a control character or backslash")
		}
	}
	for _, part := range strings.Split(name, "/") {
		if part == "." || part == ".." {
			return bad("it climbs out of the work dir")
		}
	}
	return nil
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

// MaxCases bounds Request.Cases.
const MaxCases = 64

func checkCases(req Request) error {
	switch {
	case len(req.Cases) == 0:
		return nil
	case len(req.Cases) > MaxCases:
		return Invalid("cases", "%d cases sent; at most %d are accepted", len(req.Cases), MaxCases)
	case len(req.Stdin) > 0:
		return Invalid("stdin", "give either stdin or cases, not both")
	}
	total := 0
	for _, c := range req.Cases {
		total += len(c.Stdin)
	}
	if total > MaxStdinSize {
		return Invalid("cases", "the cases' stdin is %s together; at most %s is accepted", FormatBytes(int64(total)), FormatBytes(MaxStdinSize))
	}
	return nil
}
