// Package hostile holds the hostile-program suite: programs built to hurt the machine they
// escape to (testdata/hostile/*.c), each run through the real sandbox with its expected outcome
// asserted and the host checked after it (sentinel process alive, no leftover processes or
// cgroups, no marker files, disk usage unchanged).
//
// The suite runs only inside its protective PID namespace and cgroup (test/hostile/guard.sh,
// started by `make test-hostile`), and only after a harmless canary proved the sandbox isolates.
// It has no non-test code; it is not a library.
package hostile
