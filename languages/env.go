package languages

import (
	"slices"
	"strings"
)

// EnvWithout returns env without its entries (KEY=value) for keys, reusing env's array.
func EnvWithout(env []string, keys ...string) []string {
	out := env[:0]
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if !slices.Contains(keys, k) {
			out = append(out, kv)
		}
	}
	return out
}
