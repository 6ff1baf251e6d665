// Command sandrun-init is the sandbox's init (pid 1 of a sandbox's namespaces) and, where
// commands start from a stage-2, that stage-2: the code of executor/sandbox and nothing else,
// so that it starts in about a millisecond. It is not installed on its own: `make build` embeds
// it in sandrun (executor/sandbox/internal/initexe), which executes it from a sealed memory
// file. Started any other way it says so and exits 2.
package main

import (
	"fmt"
	"os"

	"github.com/sandrun/sandrun/executor/sandbox"
)

func main() {
	if sandbox.MaybeInit() {
		return
	}
	fmt.Fprintln(os.Stderr, "sandrun-init: this is the sandbox's init, which sandrun starts itself; run sandrun instead")
	os.Exit(2)
}
