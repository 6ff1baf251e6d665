//go:build sandrun_initexe

package initexe

import _ "embed"

// Binary is the sandbox's init: executor/sandbox/cmd/sandrun-init, built without this tag.
//
//go:embed sandrun-init
var Binary []byte

// sumFile is `sha256sum` of Binary (make writes it beside the binary); Sum names the cached copy.
//
//go:embed sandrun-init.sha256
var sumFile string

// Sum is sumFile without its line end.
var Sum = trimSum(sumFile)

// trimSum returns the first field of a `sha256sum` line.
func trimSum(s string) string {
	for i, c := range s {
		if c == ' ' || c == '\n' {
			return s[:i]
		}
	}
	return s
}
