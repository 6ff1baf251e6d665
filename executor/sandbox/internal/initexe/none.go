//go:build !sandrun_initexe

package initexe

// Binary is empty: this build embeds no init (see the package doc).
var Binary []byte

// Sum is empty: there is no embedded init.
var Sum string
