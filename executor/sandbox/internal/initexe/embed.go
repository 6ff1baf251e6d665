//go:build sandrun_initexe

package initexe

import _ "embed"

// Binary is the sandbox's init: executor/sandbox/cmd/sandrun-init, built without this tag.
//
//go:embed sandrun-init
var Binary []byte
