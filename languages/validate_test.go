package languages

import (
	"math/rand/v2"
	"regexp"
	"slices"
	"testing"
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
