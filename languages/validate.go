package languages

import (
	"fmt"
	"iter"
	"path"
	"regexp"
	"strings"
	"sync"
)

// The shapes below are checked by hand rather than with regexps, which would be compiled in
// every new process: isID is ^[a-z][a-z0-9]*$, isEnvKey ^[A-Za-z_][A-Za-z0-9_]*$, and
// placeholders finds every \{[A-Za-z_]*\} (a word in braces: R code in a command has blocks).

func isID(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('a' <= c && c <= 'z' || i > 0 && '0' <= c && c <= '9') {
			return false
		}
	}
	return s != ""
}

func isEnvKey(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(isWordLetter(c) || i > 0 && '0' <= c && c <= '9') {
			return false
		}
	}
	return s != ""
}

func isWordLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' }

// placeholders yields each "{word}" in s, leftmost first, as the regexp would find them.
func placeholders(s string) iter.Seq[string] {
	return func(yield func(string) bool) {
		for i := 0; i < len(s); i++ {
			if s[i] != '{' {
				continue
			}
			j := i + 1
			for j < len(s) && isWordLetter(s[j]) {
				j++
			}
			if j < len(s) && s[j] == '}' {
				if !yield(s[i : j+1]) {
					return
				}
				i = j
			}
		}
	}
}

// systemDirs are bound into every sandbox; a definition's Paths must lie outside them. (Of /etc
// the sandbox shows only a few entries, so a toolchain's own config dir there is a valid path.)
var systemDirs = []string{"/usr", "/lib", "/lib32", "/lib64", "/libx32", "/bin", "/sbin"}

// Validate checks one definition on its own: required fields, the shape of ids, extensions and
// env, the placeholders in Compile and Run, toolchain paths and the version regex (compiled).
func (l *Language) Validate() error { return l.validate(true) }

// validate is Validate; with eager false, the regexps (version_regex, the matchers') are
// compiled on first use instead of now. Compiling them is most of the cost of loading the
// embedded definitions in a new process, and a one-shot run uses a few at most; a test
// (TestEmbeddedDefinitionsValid) validates the embedded ones in full.
func (l *Language) validate(eager bool) error {
	switch {
	case !isID(l.ID):
		return fmt.Errorf("id %q must be lowercase letters and digits, starting with a letter", l.ID)
	case !isID(l.Runtime):
		return fmt.Errorf("runtime %q must be lowercase letters and digits, starting with a letter", l.Runtime)
	case l.Name == "":
		return fmt.Errorf("name is required")
	case len(l.Run) == 0 || l.Run[0] == "":
		return fmt.Errorf("run is required")
	case l.SourceFile == "" || l.SourceFile != path.Base(l.SourceFile):
		return fmt.Errorf("source_file %q must be a plain file name such as main.py", l.SourceFile)
	case l.Package == "":
		return fmt.Errorf("package (how to install the toolchain) is required")
	case l.Hello == "":
		return fmt.Errorf("hello (a hello-world program) is required")
	case len(l.Version) == 0:
		return fmt.Errorf("version (a command printing the toolchain's version) is required")
	}
	for _, e := range l.Extensions {
		if !strings.HasPrefix(e, ".") || len(e) < 2 || e != strings.ToLower(e) || strings.ContainsAny(e, "/ ") {
			return fmt.Errorf("extension %q must be a lowercase suffix such as \".py\"", e)
		}
	}
	if len(l.Extensions) > 0 && !contains(l.Extensions, strings.ToLower(path.Ext(l.SourceFile))) {
		return fmt.Errorf("source_file %q does not end in one of the extensions %v", l.SourceFile, l.Extensions)
	}
	for _, a := range l.Aliases {
		if a == "" || strings.ContainsAny(a, " \t") {
			return fmt.Errorf("alias %q must be one word", a)
		}
	}
	if err := checkArgv("compile", l.Compile); err != nil {
		return err
	}
	if err := checkArgv("run", l.Run); err != nil {
		return err
	}
	for _, p := range l.Paths {
		if !path.IsAbs(p) || path.Clean(p) != p || p == "/" || p == "/etc" {
			return fmt.Errorf("path %q must be an absolute, clean directory", p)
		}
		for _, d := range systemDirs {
			if p == d || strings.HasPrefix(p, d+"/") {
				return fmt.Errorf("path %q is inside %s, which every sandbox binds already", p, d)
			}
		}
	}
	for _, kv := range l.Env {
		k, _, ok := strings.Cut(kv, "=")
		if !ok || !isEnvKey(k) {
			return fmt.Errorf("env %q must be KEY=value", kv)
		}
	}
	if l.VersionRegex != "" {
		re, err := compiled(eager, func() string { return l.file() + ": version_regex" }, func() (*regexp.Regexp, error) {
			re, err := regexp.Compile(l.VersionRegex)
			if err != nil {
				return nil, fmt.Errorf("version_regex: %w", err)
			}
			if re.NumSubexp() < 1 {
				return nil, fmt.Errorf("version_regex %q needs a group around the version", l.VersionRegex)
			}
			return re, nil
		})
		if err != nil {
			return err
		}
		l.versionRe = re
	}
	for i := range l.Matchers {
		if err := l.Matchers[i].validate(i, eager, l.file()); err != nil {
			return err
		}
	}
	return nil
}

// compiled returns a function giving compile's value. When eager, compile runs now and its
// error is returned; otherwise it runs on the function's first call, and an error then is a
// bug: only definitions that a test validates in full are loaded that way. what names the
// field for that panic.
func compiled[T any](eager bool, what func() string, compile func() (T, error)) (func() T, error) {
	if eager {
		v, err := compile()
		if err != nil {
			return nil, err
		}
		return func() T { return v }, nil
	}
	return sync.OnceValue(func() T {
		v, err := compile()
		if err != nil {
			panic(fmt.Sprintf("languages: %s: %v (a definition that TestEmbeddedDefinitionsValid refuses)", what(), err))
		}
		return v
	}), nil
}

// checkArgv checks a command template: only {file}, {stem} and {sources} (a whole word), and at
// least one of them, so that the user's program is what runs.
func checkArgv(field string, argv []string) error {
	if len(argv) == 0 {
		return nil
	}
	if argv[0] == "" {
		return fmt.Errorf("%s: the program name is empty", field)
	}
	mentions := false
	for _, a := range argv {
		for ph := range placeholders(a) {
			switch {
			case ph == "{sources}" && a != ph:
				return fmt.Errorf("%s: {sources} must be a word of its own, not part of %q", field, a)
			case ph != "{file}" && ph != "{stem}" && ph != "{sources}":
				return fmt.Errorf("%s: unknown placeholder %s in %q (use {file}, {stem} or {sources})", field, ph, a)
			}
		}
		mentions = mentions || strings.Contains(a, "{file}") || strings.Contains(a, "{stem}") || a == "{sources}"
	}
	if !mentions {
		return fmt.Errorf("%s: %v never names the program ({file} or {stem})", field, argv)
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
