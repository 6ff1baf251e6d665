package languages

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// The hand-written checks of validate.go say what the regexps they replaced said, on the
// usual cases and on many random strings.
func TestShapesAreTheRegexps(t *testing.T) {
	idRe := regexp.MustCompile(`^[a-z][a-z0-9]*$`)
	envKeyRe := regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	placeholderRe := regexp.MustCompile(`\{[A-Za-z_]*\}`)
	inputs := []string{"", "a", "python3", "3d", "Python", "a-b", "a_b", "_X1", "PATH", "1A", "{file}",
		"{stem}.o", "{{file}}", "{}", "{file", "file}", "{a{b}c}", "x{FILE}y{_}", "{a1}", "é", "{é}"}
	rng := rand.New(rand.NewPCG(1, 2))
	const alphabet = "aZz09_{}-. é"
	for range 20000 {
		b := make([]byte, rng.IntN(8))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		inputs = append(inputs, string(b))
	}
	for _, s := range inputs {
		if got, want := isID(s), idRe.MatchString(s); got != want {
			t.Errorf("isID(%q) = %v, the regexp says %v", s, got, want)
		}
		if got, want := isEnvKey(s), envKeyRe.MatchString(s); got != want {
			t.Errorf("isEnvKey(%q) = %v, the regexp says %v", s, got, want)
		}
		if got, want := slices.Collect(placeholders(s)), placeholderRe.FindAllString(s, -1); !slices.Equal(got, want) {
			t.Errorf("placeholders(%q) = %q, the regexp finds %q", s, got, want)
		}
	}
}

// A broken regexp is refused by LoadFS with its error; loaded without validation of its regexps
// (as Load loads the catalog, which TestEmbeddedDefinitionsValid checks), it is a panic naming
// the definition on first use, never a silent miss.
func TestLazyRegexps(t *testing.T) {
	def := fakeDef("bad", "/nonexistent", "bad", `["bad", "--version"]`, `bad ([0-9.]+`) +
		"[[matcher]]\nstage = \"run\"\npattern = '(?P<file>x)(?P<line>1)('\n"
	fsys := fstest.MapFS{"bad.toml": {Data: []byte(def)}}
	if _, err := LoadFS(fsys); err == nil || !strings.Contains(err.Error(), "bad.toml: version_regex: error parsing regexp") {
		t.Fatalf("LoadFS: %v, want the version_regex's error", err)
	}
	decoded, err := decodeAll(fsys)
	if err != nil {
		t.Fatal(err)
	}
	s, err := assemble(decoded, false)
	if err != nil {
		t.Fatalf("assemble without the regexps: %v", err)
	}
	l, _ := s.Lookup("bad")
	for name, use := range map[string]func(){
		"bad.toml: version_regex": func() { l.ParseVersion("bad 1.0") },
		"bad.toml: matcher 1":     func() { l.Matchers[0].Regexps() },
	} {
		func() {
			defer func() {
				if msg := fmt.Sprint(recover()); !strings.Contains(msg, name+": ") || !strings.Contains(msg, "error parsing regexp") {
					t.Errorf("%s: panic %q, want one naming it and the regexp's error", name, msg)
				}
			}()
			use()
		}()
	}
}
