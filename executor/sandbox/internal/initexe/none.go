//go:build !sandrun_initexe

package initexe

// Binary is empty: this build embeds no init (see the package doc).
var Binary []byte
