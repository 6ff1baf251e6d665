// Package local is the executor that runs Requests in sandboxes on this machine: it validates,
// schedules (slots and a bounded queue), compiles once (the compile cache may answer), runs, and
// shapes what the sandbox saw into a Result.
//
// It is not the contract (package executor) and not the sandbox's mechanism (executor/sandbox):
// it drives sandboxes through the small Sandbox interface it declares, so that its orchestration
// can be tested with a fake one. Front ends do not import it; they call executor/spec.
package local

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/executor/compilecache"
	"github.com/sandrun/sandrun/executor/sandbox"
	"github.com/sandrun/sandrun/languages"
	"github.com/sandrun/sandrun/languages/diagnose"
	"github.com/sandrun/sandrun/languages/gocache"
)

// Options configure an Executor. The zero value is a good default.
type Options struct {
	Slots     int            // runs at once; 0 means the number of CPUs
	QueueMax  int            // runs that may wait for a slot; 0 means 4×Slots, -1 means none
	Languages *languages.Set // nil means languages.Load()
	// PoolSize is how many ready sandboxes are kept for the runs to come (every language
	// together; see sandbox.Pool); 0 means 2×Slots, -1 means none: each run starts its own.
	PoolSize int
	// CompileCache keeps what successful compiles produced, so that an unchanged program is
	// not compiled again; nil means an in-memory cache of compilecache.DefaultMaxBytes.
	CompileCache *compilecache.Cache
	// NoCompileCache turns the compile cache off: every run compiles.
	NoCompileCache bool
	// GoBuildCache is the host dir holding the pre-warmed Go build cache Go runs see read-only
	// (see languages/gocache); "" means /var/cache/sandrun/go-build for root, else the user's cache
	// dir's sandrun/go-build; "off" turns it off (every Go run starts with an empty cache).
	GoBuildCache string
	// Sandboxes, when set, hands out the sandboxes instead of this machine's (PoolSize is then
	// ignored): tests drive the orchestration with a fake.
	Sandboxes Sandboxes
	// Log receives what goes wrong in the background (a failed warm-up of the Go build cache);
	// nil discards it.
	Log *slog.Logger
	// Caps are the default and largest limits of a run; zero fields take the executor package's.
	Caps Caps
	// ExitsAfter says the process exits after its runs (a one-shot `sandrun run`): without a
	// pool, a sandbox is abandoned after its run (sandbox.Abandon: the init is killed, its
	// namespaces' teardown not waited for) instead of closed.
	ExitsAfter bool
}

// Executor runs Requests in sandboxes on this machine.
type Executor struct {
	langs   *languages.Set
	sched   *scheduler
	slots   int
	qmax    int
	boxes   Sandboxes
	pool    *sandbox.Pool       // nil: no pool (or sandboxes from Options.Sandboxes)
	cache   *compilecache.Cache // nil: no compile cache
	gocache *gocache.Cache
	caps    Caps
}

var _ executor.Executor = (*Executor)(nil)

// New returns a local executor. It starts nothing until the first Run.
func New(opts Options) (*Executor, error) {
	if opts.Slots <= 0 {
		opts.Slots = runtime.NumCPU()
	}
	switch {
	case opts.QueueMax == 0:
		opts.QueueMax = 4 * opts.Slots
	case opts.QueueMax < 0:
		opts.QueueMax = 0
	}
	if opts.Languages == nil {
		set, err := languages.Load()
		if err != nil {
			return nil, err
		}
		opts.Languages = set
	}
	l := &Executor{
		langs: opts.Languages,
		sched: newScheduler(opts.Slots, opts.QueueMax),
		slots: opts.Slots,
		qmax:  opts.QueueMax,
		cache: opts.CompileCache,
		caps:  opts.Caps.filled(),
	}
	if opts.PoolSize == 0 {
		opts.PoolSize = 2 * opts.Slots
	}
	switch {
	case opts.Sandboxes != nil:
		l.boxes = opts.Sandboxes
	case opts.PoolSize > 0:
		l.pool = sandbox.NewPool(sandbox.PoolOptions{MaxIdle: opts.PoolSize})
		l.boxes = realSandboxes{pool: l.pool}
	default:
		l.boxes = realSandboxes{abandon: opts.ExitsAfter}
	}
	switch opts.GoBuildCache {
	case "off":
	case "":
		l.gocache = gocache.New(gocache.DefaultRoot(), opts.Log)
	default:
		if !filepath.IsAbs(opts.GoBuildCache) {
			return nil, fmt.Errorf("local: go build cache %q: want an absolute dir or \"off\"", opts.GoBuildCache)
		}
		l.gocache = gocache.New(opts.GoBuildCache, opts.Log)
	}
	if opts.NoCompileCache {
		l.cache = nil
	} else if l.cache == nil {
		l.cache, _ = compilecache.New(compilecache.Options{}) // in memory: cannot fail
	}
	return l, nil
}

// Close releases the executor: the ready sandboxes are closed. Runs in flight end with their
// contexts. A warm-up of the Go build cache in flight is waited for.
func (l *Executor) Close() error {
	l.gocache.Wait()
	return l.boxes.Close()
}

// CompileCache is the executor's compile cache, nil when it has none.
func (l *Executor) CompileCache() *compilecache.Cache { return l.cache }

// PoolStats reports what the pool of ready sandboxes did (zero without a pool).
func (l *Executor) PoolStats() sandbox.PoolStats {
	if l.pool == nil {
		return sandbox.PoolStats{}
	}
	return l.pool.Stats()
}

// sandboxFor returns a sandbox for cfg: a ready one from the pool, or a new one.
func (l *Executor) sandboxFor(ctx context.Context, cfg sandbox.Config) (Sandbox, error) {
	return l.boxes.Get(ctx, cfg)
}

// closesAfter reports whether a sandbox is closed after its request (this machine's sandboxes,
// no pool).
func (l *Executor) closesAfter() bool {
	_, real := l.boxes.(realSandboxes)
	return real && l.pool == nil
}

// release gives sb back to the pool after a run the sandbox itself saw through (healthy), else
// closes it.
func (l *Executor) release(sb Sandbox, healthy bool) {
	l.boxes.Put(sb, healthy)
}

// Capacity reports slots, running and queued runs.
func (l *Executor) Capacity(ctx context.Context) (Capacity, error) {
	running, queued := l.sched.load()
	return Capacity{Slots: l.slots, Running: running, Queued: queued, QueueMax: l.qmax, Version: executor.Version}, nil
}

// Languages lists every known language with what this host has installed, each with its
// runtimes.
func (l *Executor) Languages(ctx context.Context) ([]LanguageInfo, error) {
	found := l.langs.Detect(ctx)
	out := make([]LanguageInfo, 0, len(l.langs.All()))
	for _, lang := range l.langs.All() {
		info := LanguageInfo{ID: lang.ID, Name: lang.Name,
			Aliases: nonNil(lang.Aliases), Extensions: nonNil(lang.Extensions), VSCodeID: lang.VSCodeID}
		var pick *languages.Language
		for _, rt := range l.langs.Runtimes(lang.ID) {
			tc := found[rt.Key()]
			info.Runtimes = append(info.Runtimes, RuntimeInfo{
				Runtime: rt.Runtime, Name: rt.DisplayRuntime(), Version: tc.Version,
				Aliases: nonNil(rt.Aliases), Default: rt.Default(), Compiled: rt.Compiled(),
				Available: tc.Available, Missing: tc.Missing,
			})
			if pick == nil && tc.Available {
				pick = rt
			}
		}
		if pick == nil {
			pick = lang
		}
		tc := found[pick.Key()]
		info.Name, info.Runtime, info.Version = pick.Name, pick.Runtime, tc.Version
		info.Compiled, info.Available, info.Missing = pick.Compiled(), tc.Available, tc.Missing
		out = append(out, info)
	}
	return out, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// plan is a validated Request, ready to run.
type plan struct {
	lang           *languages.Language
	version        string
	main           string
	limits, climit Limits
}

func (l *Executor) prepare(ctx context.Context, req Request) (plan, error) {
	lang, tc, err := l.pick(ctx, req.Language, req.Runtime)
	if err != nil {
		return plan{}, err
	}
	if v := req.Version; v != "" && v != "*" && v != tc.Version && !strings.HasPrefix(tc.Version, v+".") {
		return plan{}, Invalid("version", "%s %s is not installed here; this executor has %s %s (send \"*\" for any)", lang.Name, v, lang.Name, tc.Version)
	}
	main, err := executor.Validate(req)
	if err != nil {
		return plan{}, err
	}
	p := plan{lang: lang, version: tc.Version, main: main}
	if p.limits, err = resolveLimits("limits", req.Limits, l.caps.Run, l.caps.Max, lang.Limits, false); err != nil {
		return plan{}, err
	}
	if p.climit, err = resolveLimits("compile_limits", req.CompileLimits, l.caps.Compile, l.caps.Max, lang.Limits, true); err != nil {
		return plan{}, err
	}
	return p, nil
}

// Run validates req, waits for a slot, compiles (if the language has a compile stage; the
// compile cache may answer instead) and runs the program in a sandbox as fresh as a new one
// (from the pool when it has a ready one). A sandbox failure is a Result with status
// internal_error.
func (l *Executor) Run(ctx context.Context, req Request, onEvent func(Event)) (Result, error) {
	p, err := l.prepare(ctx, req)
	if err != nil {
		return Result{}, err
	}
	if err := l.sched.acquire(ctx); err != nil {
		return Result{}, err
	}
	defer l.sched.release()

	res := Result{Language: p.lang.ID, Version: p.version, Runtime: p.lang.Runtime}
	work := p.limits.FileBytes
	if p.lang.Compiled() && p.climit.FileBytes > work {
		work = p.climit.FileBytes
	}
	env := environment(p.lang)
	cfg := sandbox.Config{Binds: binds(p.lang.Paths), WorkSize: work, Overlays: overlays(l.gocache, p.lang, env)}
	sb, err := l.sandboxFor(ctx, cfg)
	if err != nil {
		return internalError(res, ctx, "sandbox: start: %v", err)
	}
	healthy := false
	defer func() { l.release(sb, healthy) }()
	files := make([]sandbox.File, len(req.Files))
	for i, f := range req.Files {
		files[i] = sandbox.File{Path: f.Name, Data: f.Content}
	}
	if err := sb.WriteFiles(files); err != nil {
		return internalError(res, ctx, "sandbox: write files: %v", err)
	}
	out := newOutput(onEvent, req.OutputBudget)

	if p.lang.Compiled() {
		c, err := l.compile(ctx, sb, out, p, req.Files, env)
		if err != nil {
			return internalError(res, ctx, "sandbox: compile: %v", err)
		}
		c.Language, c.Version, c.Runtime = res.Language, res.Version, res.Runtime
		res.Compile = &c
		if c.Status != StatusOK {
			res.Status = StatusCompileError
			res.Message = "compilation failed: " + c.Message
			if c.Status == StatusRuntimeError {
				res.Message = "compilation failed; the compiler's messages are in compile.stderr"
			}
			res.Diagnostics = diagnostics(p.lang, req, &res)
			healthy = true
			return res, nil
		}
	}
	argv := append(languages.Expand(p.lang.Run, p.main), req.Args...)
	runStage := func(stdin []byte) (Result, error) {
		return stage(ctx, sb, out, StageRun, argv, env, bytes.NewReader(stdin), p.limits, req.MergeOutput, false)
	}
	var r Result
	if len(req.Cases) > 1 {
		// Each case starts from the compile's output with a fresh /tmp and /work, as if it
		// were its own run: nothing one case writes reaches the next.
		if err := sb.Checkpoint(ctx); err != nil {
			return internalError(res, ctx, "sandbox: checkpoint: %v", err)
		}
		first := true
		r, err = runCases(ctx, req, func(stdin []byte) (Result, error) {
			if !first {
				if err := sb.Restore(ctx); err != nil {
					return Result{}, err
				}
			}
			first = false
			return runStage(stdin)
		})
	} else if len(req.Cases) > 0 {
		r, err = runCases(ctx, req, runStage)
	} else {
		var stdin io.Reader = bytes.NewReader(req.Stdin)
		if req.StdinStream != nil {
			stdin = io.MultiReader(stdin, req.StdinStream)
		}
		// Without a pool the sandbox is closed after this run (a one-shot `sandrun run`):
		// nothing need be made ready for a next command.
		r, err = stage(ctx, sb, out, StageRun, argv, env, stdin, p.limits, req.MergeOutput, l.closesAfter())
	}
	if err != nil {
		return internalError(res, ctx, "sandbox: run: %v", err)
	}
	r.Language, r.Version, r.Runtime, r.Compile = res.Language, res.Version, res.Runtime, res.Compile
	for i := range r.Cases {
		r.Cases[i].Language, r.Cases[i].Version, r.Cases[i].Runtime = res.Language, res.Version, res.Runtime
	}
	r.Diagnostics = diagnostics(p.lang, req, &r)
	healthy = true
	return r, nil
}

// diagnostics finds the problems in res's compile and run output (every case's, for a
// multi-case run): the one place a Result gets its Diagnostics. The compile's Result gets the
// compile's own problems (a list, never null: it has the Result's shape), and each case of a
// multi-case run its own run's; the top-level Result holds them all.
func diagnostics(lang *languages.Language, req Request, res *Result) []diagnose.Diagnostic {
	files := make([]diagnose.File, len(req.Files))
	for i, f := range req.Files {
		files[i] = diagnose.File{Name: f.Name, Content: f.Content}
	}
	// Each output is read once; the top-level list is the parts merged as one Find over them
	// all would answer.
	var parts [][]diagnose.Diagnostic
	if c := res.Compile; c != nil {
		c.Diagnostics = diagnose.Find(lang, files, diagnose.Output{Stage: string(StageCompile), Stdout: c.Stdout, Stderr: c.Stderr})
		parts = append(parts, c.Diagnostics)
	}
	if res.Status != StatusCompileError {
		parts = append(parts, diagnose.Find(lang, files, diagnose.Output{Stage: string(StageRun), Stdout: res.Stdout, Stderr: res.Stderr}))
		for i, c := range res.Cases {
			res.Cases[i].Diagnostics = diagnose.Find(lang, files, diagnose.Output{Stage: string(StageRun), Stdout: c.Stdout, Stderr: c.Stderr})
			parts = append(parts, res.Cases[i].Diagnostics)
		}
	}
	return diagnose.Merge(parts...)
}

// pick finds the runtime a request names: the language by id or alias (an alias may name a
// runtime: "pypy"), then runtime by name when given, else the language's default runtime, or
// its first installed runtime when the default is not installed.
func (l *Executor) pick(ctx context.Context, name, rtName string) (*languages.Language, languages.Toolchain, error) {
	lang, ok := l.langs.Lookup(name)
	if !ok {
		if strings.TrimSpace(name) == "" {
			return nil, languages.Toolchain{}, Invalid("language", "no language given; run \"sandrun languages\" to list them")
		}
		return nil, languages.Toolchain{}, Invalid("language", "unknown language %q; run \"sandrun languages\" to list them", name)
	}
	rts := l.langs.Runtimes(lang.ID)
	if rtName = strings.TrimSpace(rtName); rtName != "" {
		rt, ok := l.langs.Runtime(lang.ID, rtName)
		if !ok {
			names := make([]string, len(rts))
			for i, r := range rts {
				names[i] = r.Runtime
			}
			return nil, languages.Toolchain{}, Invalid("runtime", "%s has no runtime %q; its runtimes: %s", lang.ID, rtName, strings.Join(names, ", "))
		}
		lang = rt
	} else if lang.Default() && len(rts) > 1 {
		for _, rt := range rts {
			if l.langs.ToolchainOf(ctx, rt).Available {
				lang = rt
				break
			}
		}
	}
	tc := l.langs.ToolchainOf(ctx, lang)
	if !tc.Available {
		msg := tc.Missing
		if msg == "" {
			msg = "install it with: " + lang.Package
		}
		return nil, tc, Invalid("language", "%s is not installed on this executor: %s", lang.Name, msg)
	}
	return lang, tc, nil
}

// internalError turns a machinery failure into a Result; when ctx ended, ctx's error wins.
func internalError(res Result, ctx context.Context, format string, args ...any) (Result, error) {
	if ctx.Err() != nil {
		return Result{}, ctx.Err()
	}
	res.Status = StatusInternalError
	res.ExitCode = -1
	if res.Diagnostics == nil {
		res.Diagnostics = []diagnose.Diagnostic{} // a list in JSON, as on every Result
	}
	res.Message = fmt.Sprintf(format, args...)
	return res, nil
}

// environment is the whole environment of a run: a minimal base plus the language's own.
func environment(lang *languages.Language) []string {
	env := []string{"PATH=" + languages.DefaultPath, "HOME=/tmp", "TMPDIR=/tmp", "LANG=C.UTF-8", "LC_ALL=C.UTF-8"}
	for _, kv := range lang.Env {
		k, _, _ := strings.Cut(kv, "=")
		env = languages.EnvWithout(env, k)
		env = append(env, kv)
	}
	return env
}

// binds turns a language's toolchain dirs into read-only binds, skipping those this host lacks.
func binds(paths []string) []sandbox.Bind {
	var b []sandbox.Bind
	for _, p := range paths {
		if _, err := os.Stat(p); err == nil {
			b = append(b, sandbox.Bind{Source: p})
		}
	}
	return b
}

// overlays are the language helpers' overlays for a run (Go's warmed build cache); g may be nil.
func overlays(g *gocache.Cache, lang *languages.Language, env []string) []sandbox.Overlay {
	var out []sandbox.Overlay
	for _, o := range g.Overlays(lang, env) {
		out = append(out, sandbox.Overlay{Lower: o.Lower, Target: o.Target, Size: o.Size})
	}
	return out
}
