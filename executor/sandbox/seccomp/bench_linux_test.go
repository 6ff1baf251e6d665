//go:build linux && (amd64 || arm64)

package seccomp

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// benchChild makes n getppid calls (each one runs the whole filter: getppid is allowed, so it
// goes past every rule) and prints the nanoseconds per call.
func benchChild(n int) int {
	start := time.Now()
	for i := 0; i < n; i++ {
		unix.RawSyscall(unix.SYS_GETPPID, 0, 0, 0)
	}
	fmt.Println(time.Since(start).Nanoseconds() / int64(n))
	return 0
}

// BenchmarkSyscall compares an allowed system call with and without the filter, each in a child
// process (the filter cannot be removed once installed).
func BenchmarkSyscall(b *testing.B) {
	for _, mode := range []string{"bench-bare", "bench-filtered"} {
		b.Run(strings.TrimPrefix(mode, "bench-"), func(b *testing.B) {
			out, stderr, err := startChild(mode, strconv.Itoa(max(b.N, 1000)))
			if err != nil {
				b.Fatalf("%v: %s", err, stderr)
			}
			ns, err := strconv.ParseFloat(strings.TrimSpace(out), 64)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(ns, "ns/syscall")
		})
	}
}
