package hostile

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/executor/local"
)

// frontDoor runs a few cases through the local executor, the way every front end does: its own
// environment, compile stage, stdin buffer and output capture are then part of what is tested.
func (s *suite) frontDoor(t *testing.T) {
	// No pool: each case checks that its run left nothing on the host, and a pooled sandbox
	// waiting for the next run is by design still there (see pooled for the pool itself).
	ex, err := local.New(local.Options{Slots: 2, PoolSize: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer ex.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	langs, err := ex.Languages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	hasC := false
	for _, l := range langs {
		if l.ID == "c" && !l.Available {
			t.Skipf("the executor has no C toolchain here: %s", l.Missing)
		}
		hasC = hasC || l.ID == "c"
	}
	if !hasC {
		t.Skip("the executor has no C language definition")
	}
	lim := executor.Limits{CPUTimeMs: 1000, WallTimeMs: 10000, MemoryBytes: 128 << 20, Processes: 32,
		OutputBytes: 64 << 10, FileBytes: 8 << 20}
	run := func(t *testing.T, src string, stdin []byte, climit executor.Limits) executor.Result {
		t.Helper()
		r, err := ex.Run(ctx, executor.Request{Language: "c",
			Files: []executor.File{{Name: "main.c", Content: s.source(t, src)}}, Stdin: stdin,
			Limits: lim, CompileLimits: climit}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	tests := []struct {
		name, src string
		stdin     []byte
		climit    executor.Limits
		check     func(t *testing.T, r executor.Result)
	}{
		{"environment leak", "env.c", nil, executor.Limits{}, func(t *testing.T, r executor.Result) {
			if r.Status != executor.StatusOK || strings.Contains(r.Stdout, s.secret) || strings.Contains(r.Stdout, "SANDRUN_HOSTILE_SECRET") {
				t.Errorf("status %s, environment:\n%s", r.Status, r.Stdout)
			}
		}},
		{"output flood", "output_flood.c", nil, executor.Limits{}, func(t *testing.T, r executor.Result) {
			if r.Status != executor.StatusOutputLimit || !r.StdoutTruncated || len(r.Stdout) > int(lim.OutputBytes) {
				t.Errorf("status %s, truncated %v, %d bytes of stdout", r.Status, r.StdoutTruncated, len(r.Stdout))
			}
		}},
		{"20 MiB of stdin", "stdin_count.c", bigStdin(), executor.Limits{}, func(t *testing.T, r executor.Result) {
			if r.Status != executor.StatusOK || !strings.Contains(r.Stdout, "bytes=20971520 ") {
				t.Errorf("status %s, stdout %q", r.Status, r.Stdout)
			}
		}},
		{"32-bit syscall", "int80.c", nil, executor.Limits{}, func(t *testing.T, r executor.Result) {
			if want := s.int80Signal(t); r.Status != executor.StatusSignaled || r.Signal != want || r.Message == "" {
				t.Errorf("status %s, signal %q, message %q; want signaled, %s, a message", r.Status, r.Signal, r.Message, want)
			}
		}},
		{"compile bomb", "compile_bomb.c", nil, executor.Limits{CPUTimeMs: 3000, MemoryBytes: 256 << 20, OutputBytes: 64 << 10},
			func(t *testing.T, r executor.Result) {
				if r.Status != executor.StatusCompileError || r.Compile == nil || r.Compile.Status == executor.StatusOK {
					t.Errorf("status %s, compile %+v; want compile_error with the compile stage stopped", r.Status, r.Compile)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := takeSnapshot()
			r := run(t, tt.src, tt.stdin, tt.climit)
			t.Logf("%s: %s", r.Status, firstLine(r.Message))
			tt.check(t, r)
			s.checkHost(t, before)
			s.record(t, "executor: "+tt.name, string(r.Status))
		})
	}
}
