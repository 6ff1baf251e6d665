package main

import "github.com/sandrun/sandrun/executor/sandbox"

// maybeSandboxInit runs the sandbox's init when this process was re-executed as one; it reports
// whether it did (and then main must return at once).
func maybeSandboxInit() bool { return sandbox.MaybeInit() }
