package executortest

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/sandrun/sandrun/executor"
)

// statusCase is one program and what its Result must say.
type statusCase struct {
	name   string
	req    executor.Request
	status executor.Status
	check  func(r executor.Result, c *collect) string // "" when fine
}

func withLimits(req executor.Request, l executor.Limits) executor.Request {
	req.Limits = l
	return req
}

func statusCases() []statusCase {
	py := func(text string) executor.Request { return source("python", "main.py", text) }
	return []statusCase{
		{"hello world", py(`print("Hello, world!")`), executor.StatusOK, func(r executor.Result, c *collect) string {
			if r.Stdout != "Hello, world!\n" || r.ExitCode != 0 || r.Language != "python" || r.Version == "" || r.Compile != nil {
				return fmt.Sprintf("stdout %q exit %d language %q version %q compile %v", r.Stdout, r.ExitCode, r.Language, r.Version, r.Compile)
			}
			if got := c.text(executor.StageRun, executor.Stdout); got != r.Stdout {
				return fmt.Sprintf("streamed stdout %q differs from the Result's %q", got, r.Stdout)
			}
			return ""
		}},
		{"stdin", func() executor.Request {
			r := py("import sys\nfor line in sys.stdin: print(line.strip().upper())")
			r.Stdin = []byte("one\ntwo\n")
			return r
		}(), executor.StatusOK, func(r executor.Result, _ *collect) string {
			return want(r.Stdout, "ONE\nTWO\n")
		}},
		{"args", func() executor.Request {
			r := py("import sys\nprint(sys.argv[1:])")
			r.Args = []string{"a b", "--flag", "ü"}
			return r
		}(), executor.StatusOK, func(r executor.Result, _ *collect) string {
			return want(r.Stdout, "['a b', '--flag', 'ü']\n")
		}},
		{"invalid UTF-8 is replaced", py(`import sys; sys.stdout.buffer.write(b"ok\xff\n")`), executor.StatusOK, func(r executor.Result, _ *collect) string {
			return want(r.Stdout, "ok\uFFFD\n")
		}},
		{"compiled hello", source("c", "main.c", "#include <stdio.h>\nint main(void) { puts(\"hi from C\"); return 0; }\n"), executor.StatusOK, func(r executor.Result, _ *collect) string {
			if r.Compile == nil || r.Compile.Status != executor.StatusOK {
				return fmt.Sprintf("compile = %+v, want a compile Result with status ok", r.Compile)
			}
			return want(r.Stdout, "hi from C\n")
		}},
		{"compile error", source("c", "main.c", "int main(void) { return undefined_name; }\n"), executor.StatusCompileError, func(r executor.Result, c *collect) string {
			if r.Compile == nil || !strings.Contains(r.Compile.Stderr, "undefined_name") {
				return fmt.Sprintf("compile = %+v, want the compiler's message naming undefined_name", r.Compile)
			}
			if got := c.text(executor.StageCompile, executor.Stderr); got != r.Compile.Stderr {
				return fmt.Sprintf("streamed compile stderr %q differs from the Result's %q", got, r.Compile.Stderr)
			}
			if d := r.Diagnostics; len(d) == 0 || d[0].File != "main.c" || d[0].Line != 1 || d[0].Column != 25 || d[0].Severity != "error" || d[0].Source != "gcc" {
				return fmt.Sprintf("diagnostics = %+v, want gcc's error at main.c:1:25", d)
			}
			return ""
		}},
		{"traceback diagnostics", py("def f():\n    return 1 / 0\n\nf()\n"), executor.StatusRuntimeError, func(r executor.Result, _ *collect) string {
			if d := r.Diagnostics; len(d) != 1 || d[0].File != "main.py" || d[0].Line != 2 || d[0].Message != "ZeroDivisionError: division by zero" {
				return fmt.Sprintf("diagnostics = %+v, want the ZeroDivisionError on main.py line 2", d)
			}
			return ""
		}},
		{"runtime error", py("import sys\nprint('bye')\nsys.exit(3)"), executor.StatusRuntimeError, func(r executor.Result, _ *collect) string {
			if r.ExitCode != 3 || r.Stdout != "bye\n" || r.Message == "" {
				return fmt.Sprintf("exit %d stdout %q message %q, want exit 3, \"bye\\n\" and a message", r.ExitCode, r.Stdout, r.Message)
			}
			return ""
		}},
		{"SIGSEGV", source("c", "main.c", "int main(void) { volatile int *p = 0; return *p; }\n"), executor.StatusSignaled, func(r executor.Result, _ *collect) string {
			return want(r.Signal, "SIGSEGV")
		}},
		{"CPU time limit", withLimits(py("while True: pass"), executor.Limits{CPUTimeMs: 300, WallTimeMs: executor.MaxLimits().WallTimeMs}), executor.StatusTimeLimit, func(r executor.Result, _ *collect) string {
			// The wall clock only catches a CPU limit that never fires: on a loaded machine the
			// loop gets a few percent of a core.
			// Under emulation (SANDRUN_TEST_SLOWDOWN) the guest's CPU clock is coarse.
			if r.CPUTimeMs < 250 && (os.Getenv("SANDRUN_TEST_SLOWDOWN") == "" || r.CPUTimeMs < 100) {
				return fmt.Sprintf("cpu_time_ms %d, want about 300", r.CPUTimeMs)
			}
			return ""
		}},
		{"wall time limit", withLimits(py("import time\ntime.sleep(30)"), executor.Limits{WallTimeMs: 500}), executor.StatusTimeLimit, func(r executor.Result, _ *collect) string {
			// The sandbox's wall clock starts before the program's exec, its report after it, so
			// the reported wall time may fall short of the limit by the start-up time. Where
			// everything is slower (SANDRUN_TEST_SLOWDOWN: the emulated VM, where python's start
			// alone takes ~450 ms of CPU) slowdown scales the limit, and this check with it.
			n := int64(slowFactor())
			if r.WallTimeMs < 250*n || r.CPUTimeMs > 400*n {
				return fmt.Sprintf("wall_time_ms %d cpu_time_ms %d, want wall about %d and little CPU", r.WallTimeMs, r.CPUTimeMs, 500*n)
			}
			return ""
		}},
		{"memory limit", withLimits(py("b = b'x' * (512 << 20)\nprint(len(b))"), executor.Limits{MemoryBytes: 64 << 20}), executor.StatusMemoryLimit, func(r executor.Result, _ *collect) string {
			if strings.Contains(r.Stdout, "536870912") {
				return "the program allocated 512 MiB under a 64 MiB limit"
			}
			return ""
		}},
		{"output limit", withLimits(py("while True: print('x' * 999)"), executor.Limits{OutputBytes: 64 << 10}), executor.StatusOutputLimit, func(r executor.Result, _ *collect) string {
			if !r.StdoutTruncated || len(r.Stdout) > 64<<10 || len(r.Stdout) < 32<<10 {
				return fmt.Sprintf("stdout_truncated %v with %d bytes, want true with at most 64 KiB", r.StdoutTruncated, len(r.Stdout))
			}
			return ""
		}},
	}
}

// slowdown gives a request that sets no time limit SANDRUN_TEST_SLOWDOWN times the default CPU
// time (2 s) and a wall clock to match, one that sets a wall clock alone that many times its
// wall clock, and its compile that many times 15 s, on machines that run everything that many
// times slower (the emulated cgroup v2 VM of `make test-cgroup2`), so that only the cases about
// the time limits end by them, and by the limit they are about. Unset or 1: the request is
// unchanged.
func slowdown(req executor.Request) executor.Request {
	n := slowFactor()
	if n <= 1 {
		return req
	}
	max := executor.MaxLimits()
	scale := func(l *executor.Limits, cpu int64) {
		l.CPUTimeMs = min(int64(n)*cpu, max.CPUTimeMs)
		l.WallTimeMs = min(2*l.CPUTimeMs+1000, max.WallTimeMs)
	}
	switch {
	case req.Limits.CPUTimeMs == 0 && req.Limits.WallTimeMs == 0:
		scale(&req.Limits, executor.DefaultLimits().CPUTimeMs)
	case req.Limits.CPUTimeMs == 0: // a wall clock alone: the case is about it, scaled as the rest
		req.Limits.WallTimeMs = min(int64(n)*req.Limits.WallTimeMs, max.WallTimeMs)
	}
	scale(&req.CompileLimits, executor.DefaultCompileLimits().CPUTimeMs)
	return req
}

// slowFactor is SANDRUN_TEST_SLOWDOWN (how many times slower than a normal machine this one
// runs programs), or 1.
func slowFactor() int {
	n, err := strconv.Atoi(os.Getenv("SANDRUN_TEST_SLOWDOWN"))
	if err != nil || n <= 1 {
		return 1
	}
	return n
}

func want(got, want string) string {
	if got != want {
		return fmt.Sprintf("got %q, want %q", got, want)
	}
	return ""
}

// testStatuses runs every case, all at once, as a busy executor would see them.
func testStatuses(t *testing.T, ex executor.Executor) {
	for _, tc := range statusCases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var c collect
			var mu sync.Mutex
			res, err := ex.Run(context.Background(), slowdown(tc.req), func(ev executor.Event) { mu.Lock(); c.on(ev); mu.Unlock() })
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if res.Status != tc.status {
				t.Fatalf("status %q (message %q, stderr %q), want %q", res.Status, res.Message, res.Stderr, tc.status)
			}
			if tc.status != executor.StatusOK && res.Message == "" {
				t.Errorf("status %q without a message", res.Status)
			}
			if msg := tc.check(res, &c); msg != "" {
				t.Error(msg)
			}
		})
	}
}

// testConcurrent: Concurrent runs at once all get their own, correct Result.
func testConcurrent(t *testing.T, ex executor.Executor) {
	var wg sync.WaitGroup
	errs := make(chan string, Concurrent)
	for i := range Concurrent {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var c collect
			var mu sync.Mutex
			res, err := ex.Run(context.Background(), source("python", "main.py", fmt.Sprintf("print('run', %d)", i)), func(ev executor.Event) { mu.Lock(); c.on(ev); mu.Unlock() })
			w := fmt.Sprintf("run %d\n", i)
			switch {
			case err != nil:
				errs <- fmt.Sprintf("run %d: %v", i, err)
			case res.Status != executor.StatusOK || res.Stdout != w || c.text(executor.StageRun, executor.Stdout) != w:
				errs <- fmt.Sprintf("run %d: status %q stdout %q streamed %q, want ok %q", i, res.Status, res.Stdout, c.text(executor.StageRun, executor.Stdout), w)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
