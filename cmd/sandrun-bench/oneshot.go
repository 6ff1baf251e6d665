package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"time"
)

// oneshot: what a person at a shell sees. `sandrun run hello.py` as a new process each time
// against bare `python3 hello.py` (median of -n, interleaved), and the compile CPU of a new Go
// program in a new `sandrun run` process (the warmed Go build cache is on disk by then: the
// first run warms it if it was not).
func (w *workloads) oneshot(ctx context.Context, t *table, c config) error {
	bin, err := filepath.Abs(c.bin)
	if err != nil {
		return err
	}
	py := filepath.Join(w.dir, "hello.py")
	if err := os.WriteFile(py, []byte("print(\"hello\")\n"), 0o644); err != nil {
		return err
	}
	run := func(args ...string) func() error {
		return func() error {
			cmd := exec.CommandContext(ctx, args[0], args[1:]...)
			cmd.Dir = w.dir
			out, err := cmd.CombinedOutput()
			if err != nil || string(out) != "hello\n" {
				return fmt.Errorf("%v: %v: %q", args, err, out)
			}
			return nil
		}
	}
	sandrun := run(bin, "run", "hello.py")
	if err := warm(sandrun); err != nil {
		return err
	}
	meds, err := interleaved(c.n, run(w.python, "hello.py"), sandrun)
	if err != nil {
		return err
	}
	t.latency("`sandrun run hello.py`, a new process each run, vs `python3 hello.py` (median)", meds[0], meds[1])

	// Go: a program no earlier run compiled, so neither the compile cache nor the go command's
	// own cache has its package; the std packages come from the warmed cache.
	compileCPU := func(i int) (time.Duration, error) {
		src := fmt.Sprintf("package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hello %d %d\") }\n", time.Now().UnixNano(), i)
		f := filepath.Join(w.dir, fmt.Sprintf("hello%d.go", i))
		if err := os.WriteFile(f, []byte(src), 0o644); err != nil {
			return 0, err
		}
		out, err := exec.CommandContext(ctx, bin, "run", "--json", "--no-compile-cache", f).Output()
		var r struct {
			Status  string `json:"status"`
			Compile *struct {
				CPU int64 `json:"cpu_time_ms"`
			} `json:"compile"`
		}
		if jerr := json.Unmarshal(out, &r); jerr != nil || r.Compile == nil || r.Status != "ok" {
			return 0, fmt.Errorf("sandrun run %s: %v %v: %s", f, err, jerr, out)
		}
		return time.Duration(r.Compile.CPU) * time.Millisecond, nil
	}
	if _, err := compileCPU(-1); err != nil { // warms the Go build cache if it was not
		return err
	}
	var cpus []time.Duration
	for i := 0; i < 3; i++ {
		d, err := compileCPU(i)
		if err != nil {
			return err
		}
		cpus = append(cpus, d)
	}
	slices.Sort(cpus)
	t.add("new Go hello world, compile CPU in a new `sandrun run` process (median of 3)", "", ms(cpus[1]), "")
	return nil
}
