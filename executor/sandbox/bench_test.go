//go:build linux

package sandbox

import (
	"context"
	"os/exec"
	"slices"
	"testing"
	"time"
)

// Benchmarks of the sandbox's cost. Besides ns/op (a mean, which a loaded machine skews) they
// report median-ns, the median of the iterations. Compare BenchmarkRunTrueReady with
// BenchmarkBareTrue: the per-command overhead of the sandbox.

// median reports the median of ds as the "median-ns" metric.
func median(b *testing.B, ds []time.Duration) {
	slices.Sort(ds)
	if len(ds) > 0 {
		b.ReportMetric(float64(ds[len(ds)/2].Nanoseconds()), "median-ns")
	}
}

// BenchmarkRunTrue runs one command after another through a live sandbox: each Run also waits
// for the previous one's clean-up and the next command's preparation (fresh cgroup, its waiting process).
func BenchmarkRunTrue(b *testing.B) { benchRun(b, 0) }

// BenchmarkRunTrueReady is the latency of one command when the sandbox had a moment to
// prepare it (as between the compile and the run of a request, or in a pooled sandbox).
func BenchmarkRunTrueReady(b *testing.B) { benchRun(b, 50*time.Millisecond) }

func benchRun(b *testing.B, pause time.Duration) {
	s, err := New(context.Background(), Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	c := Cmd{Args: []string{"/bin/true"}, Env: testEnv, Limits: testLimits}
	ds := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if pause > 0 {
			b.StopTimer()
			time.Sleep(pause)
			b.StartTimer()
		}
		t := time.Now()
		o, err := s.Run(context.Background(), c)
		ds = append(ds, time.Since(t))
		if err != nil || o.ExitCode != 0 {
			b.Fatalf("%v %+v", err, o)
		}
	}
	b.StopTimer()
	median(b, ds)
}

// BenchmarkBareTrue is a plain fork+exec+wait of the same program, no sandbox.
func BenchmarkBareTrue(b *testing.B) {
	ds := make([]time.Duration, 0, b.N)
	for i := 0; i < b.N; i++ {
		t := time.Now()
		if err := exec.Command("/bin/true").Run(); err != nil {
			b.Fatal(err)
		}
		ds = append(ds, time.Since(t))
	}
	b.StopTimer()
	median(b, ds)
}

// BenchmarkNew is the cost of a fresh sandbox (namespaces, root filesystem, first command's process),
// paid once per request until a pool keeps some ready.
func BenchmarkNew(b *testing.B) {
	ds := make([]time.Duration, 0, b.N)
	for i := 0; i < b.N; i++ {
		t := time.Now()
		s, err := New(context.Background(), Config{})
		ds = append(ds, time.Since(t))
		if err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
	b.StopTimer()
	median(b, ds)
}
