// Package initexe holds the sandbox's init as a small executable of its own, when the build
// embeds one (the build tag sandrun_initexe; `make build` and every make target that builds
// or tests Go code set it, after building executor/sandbox/cmd/sandrun-init into this
// directory). A sandbox started from it does not pay this binary's start: the init of a 34 MB
// sandrun (every linked package's initialisation, its page faults) costs about 5 ms more than
// the init alone (docs/performance.md, "The sandbox's init is a small binary").
//
// Without the tag (a plain `go build`, `go install`, `go test`) Binary is empty and the sandbox
// re-executes the binary it is part of as its init, as before: the same code, started slower.
package initexe

// Name is the file name of the embedded init, in this directory, and of its memory file.
const Name = "sandrun-init"
