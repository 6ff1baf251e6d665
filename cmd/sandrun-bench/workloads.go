package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"time"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/executor/local"
	"github.com/sandrun/sandrun/executor/sandbox"
	"github.com/sandrun/sandrun/languages"
)

var stderrLog = os.Stderr

const (
	cHello   = "#include <stdio.h>\nint main(void) { puts(\"hello\"); return 0; }\n"
	cppHello = "#include <iostream>\nint main() { std::cout << \"hello\" << std::endl; }\n"
)

// workloads holds what the measures share: the bare programs and a local executor.
type workloads struct {
	dir     string
	python  string // /usr/bin/python3 as the sandbox finds it
	cBinary string // cHello compiled on the host
	local   *local.Executor
	langs   *languages.Set // the local executor's, so that more executors share its detection
}

func newWorkloads(ctx context.Context) (*workloads, error) {
	w := &workloads{}
	var err error
	if w.dir, err = os.MkdirTemp("", "sandrun-bench-"); err != nil {
		return nil, err
	}
	for _, dir := range filepath.SplitList(languages.DefaultPath) {
		if p := filepath.Join(dir, "python3"); exec.Command(p, "-c", "pass").Run() == nil {
			w.python = p
			break
		}
	}
	if w.python == "" {
		return nil, fmt.Errorf("no python3 in %s", languages.DefaultPath)
	}
	if err := os.WriteFile(filepath.Join(w.dir, "main.py"), []byte("pass\n"), 0o644); err != nil {
		return nil, err
	}
	src := filepath.Join(w.dir, "main.c")
	if err := os.WriteFile(src, []byte(cHello), 0o644); err != nil {
		return nil, err
	}
	w.cBinary = filepath.Join(w.dir, "main")
	if out, err := exec.Command("gcc", "-O2", "-o", w.cBinary, src).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("gcc: %v: %s", err, out)
	}
	if w.langs, err = languages.Load(); err != nil {
		return nil, err
	}
	if w.local, err = local.New(local.Options{Languages: w.langs}); err != nil {
		return nil, err
	}
	// Toolchain detection happens once per executor; keep it out of the figures.
	if _, err := w.local.Languages(ctx); err != nil {
		return nil, err
	}
	return w, nil
}

func (w *workloads) close() {
	w.local.Close()
	os.RemoveAll(w.dir)
}

// bare runs a program on the host, no sandbox: fork, exec, wait.
func bare(dir string, argv ...string) func() error {
	return func() error {
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Dir = dir
		return cmd.Run()
	}
}

// viaExecutor runs one program through ex and checks it ended ok with the expected output.
func viaExecutor(ctx context.Context, ex executor.Executor, lang, src, want string) func() error {
	return func() error {
		r, err := ex.Run(ctx, executor.Request{Language: lang, Files: []executor.File{{Name: "main." + lang, Content: []byte(src)}}}, nil)
		if err != nil {
			return err
		}
		if r.Status != executor.StatusOK || r.Stdout != want {
			return fmt.Errorf("%s run: %s %q %s", lang, r.Status, r.Stdout, r.Message)
		}
		return nil
	}
}

// trueCmd is /bin/true as the sandbox API runs it.
var trueCmd = sandbox.Cmd{Args: []string{"/bin/true"}, Env: []string{"PATH=/usr/bin:/bin"},
	Limits: sandbox.Limits{CPUTime: 5 * time.Second, WallTime: 10 * time.Second, Memory: 256 << 20, Processes: 16, Output: 1 << 20}}

// pooledTrue runs /bin/true in a sandbox from p.
func pooledTrue(ctx context.Context, p *sandbox.Pool) func() error {
	return func() error {
		sb, err := p.Get(ctx, sandbox.Config{})
		if err != nil {
			return err
		}
		o, err := sb.Run(ctx, trueCmd)
		p.Put(sb)
		if err == nil && o.ExitCode != 0 {
			err = fmt.Errorf("/bin/true exited %d", o.ExitCode)
		}
		return err
	}
}

// freshTrue runs /bin/true in a new sandbox, closed after: the cost without a pool.
func freshTrue(ctx context.Context) func() error {
	return func() error {
		sb, err := sandbox.New(ctx, sandbox.Config{})
		if err != nil {
			return err
		}
		defer sb.Close()
		_, err = sb.Run(ctx, trueCmd)
		return err
	}
}

// latency: one run at a time, the median of c.n.
func (w *workloads) latency(ctx context.Context, t *table, c config) error {
	pool := sandbox.NewPool(sandbox.PoolOptions{MaxIdle: 2})
	defer pool.Close()
	rows := []struct {
		name      string
		bare, box func() error
		n         int
	}{
		{"/bin/true, median latency (sandbox API, pooled sandbox)", bare(w.dir, "/bin/true"), pooledTrue(ctx, pool), c.n},
		{"/bin/true, median latency (sandbox API, new sandbox per run: no pool)", bare(w.dir, "/bin/true"), freshTrue(ctx), max(c.n/4, 3)},
		{"python3 `pass`, median latency (local executor)", bare(w.dir, w.python, "-u", "main.py"), viaExecutor(ctx, w.local, "python", "pass\n", ""), c.n},
		{"C hello world, median latency (local executor, compile cached)", bare(w.dir, w.cBinary), viaExecutor(ctx, w.local, "c", cHello, "hello\n"), c.n},
	}
	for _, r := range rows {
		for i := 0; i < 3; i++ { // warm up: page cache, pool, compile cache
			if err := r.box(); err != nil {
				return err
			}
		}
		b, err := medianOf(r.n, r.bare)
		if err != nil {
			return err
		}
		s, err := medianOf(r.n, r.box)
		if err != nil {
			return err
		}
		t.latency(r.name, b, s)
	}
	return nil
}

// throughput: runs/s with cores and 2×cores runs at once.
func (w *workloads) throughput(ctx context.Context, t *table, c config) error {
	cores := runtime.NumCPU()
	for _, conc := range []int{cores, 2 * cores} {
		pool := sandbox.NewPool(sandbox.PoolOptions{MaxIdle: conc})
		rows := []struct {
			name      string
			bare, box func() error
		}{
			{"/bin/true", bare(w.dir, "/bin/true"), pooledTrue(ctx, pool)},
			{"python3 `pass`", bare(w.dir, w.python, "-u", "main.py"), viaExecutor(ctx, w.local, "python", "pass\n", "")},
			{"C hello world (compile cached)", bare(w.dir, w.cBinary), viaExecutor(ctx, w.local, "c", cHello, "hello\n")},
		}
		for _, r := range rows {
			if _, err := rate(ctx, conc, 2*conc, r.box); err != nil { // warm up
				return err
			}
			b, err := rate(ctx, conc, c.through, r.bare)
			if err != nil {
				return err
			}
			s, err := rate(ctx, conc, c.through, r.box)
			if err != nil {
				return err
			}
			t.rate(fmt.Sprintf("%s, throughput at %d concurrent runs", r.name, conc), b, s)
		}
		pool.Close()
	}
	return nil
}

// cache: a C++ hello world compiled every time against one whose compile comes from the cache.
func (w *workloads) cache(ctx context.Context, t *table, c config) error {
	nocache, err := local.New(local.Options{NoCompileCache: true})
	if err != nil {
		return err
	}
	defer nocache.Close()
	miss, err := medianOf(5, viaExecutor(ctx, nocache, "cpp", cppHello, "hello\n"))
	if err != nil {
		return err
	}
	if err := viaExecutor(ctx, w.local, "cpp", cppHello, "hello\n")(); err != nil {
		return err
	}
	hit, err := medianOf(c.n, viaExecutor(ctx, w.local, "cpp", cppHello, "hello\n"))
	if err != nil {
		return err
	}
	t.add("C++ hello world, compile + run: cache miss vs hit (local executor, median)", ms(miss)+" (miss)", ms(hit)+" (hit)",
		fmt.Sprintf("hit %.0f× faster", float64(miss)/float64(hit)))
	return nil
}
