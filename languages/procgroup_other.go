//go:build !unix

package languages

import "os/exec"

// ownGroup does nothing where process groups do not exist; cancellation kills cmd alone.
func ownGroup(cmd *exec.Cmd) {}
