package executor

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

	"github.com/sandrun/sandrun/executor/sandbox"
	"github.com/sandrun/sandrun/languages"
)

// LocalOptions configure a Local executor. The zero value is a good default.
type LocalOptions struct {
	Slots     int            // runs at once; 0 means the number of CPUs
	QueueMax  int            // runs that may wait for a slot; 0 means 4×Slots, -1 means none
	Languages *languages.Set // nil means languages.Load()
}

// Local runs Requests in sandboxes on this machine.
type Local struct {
	langs *languages.Set
	sched *scheduler
	slots int
	qmax  int
}

var _ Executor = (*Local)(nil)

// NewLocal returns a local executor. It starts nothing until the first Run.
func NewLocal(opts LocalOptions) (*Local, error) {
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
	return &Local{
		langs: opts.Languages,
		sched: newScheduler(opts.Slots, opts.QueueMax),
		slots: opts.Slots,
		qmax:  opts.QueueMax,
	}, nil
}

// Close releases the executor. Runs in flight end with their contexts.
func (l *Local) Close() error { return nil }

// Capacity reports slots, running and queued runs.
func (l *Local) Capacity(ctx context.Context) (Capacity, error) {
	running, queued := l.sched.load()
	return Capacity{Slots: l.slots, Running: running, Queued: queued, QueueMax: l.qmax, Version: Version}, nil
}

// Languages lists every known language with what this host has installed.
func (l *Local) Languages(ctx context.Context) ([]LanguageInfo, error) {
	found := l.langs.Detect(ctx)
	out := make([]LanguageInfo, 0, len(l.langs.All()))
	for _, lang := range l.langs.All() {
		tc := found[lang.ID]
		out = append(out, LanguageInfo{
			ID: lang.ID, Name: lang.Name, Version: tc.Version,
			Aliases: nonNil(lang.Aliases), Extensions: nonNil(lang.Extensions), VSCodeID: lang.VSCodeID,
			Compiled: lang.Compiled(), Available: tc.Available, Missing: tc.Missing,
		})
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

func (l *Local) prepare(ctx context.Context, req Request) (plan, error) {
	lang, ok := l.langs.Lookup(req.Language)
	if !ok {
		if strings.TrimSpace(req.Language) == "" {
			return plan{}, Invalid("language", "no language given; run \"sandrun languages\" to list them")
		}
		return plan{}, Invalid("language", "unknown language %q; run \"sandrun languages\" to list them", req.Language)
	}
	tc := l.langs.Toolchain(ctx, lang.ID)
	if !tc.Available {
		msg := tc.Missing
		if msg == "" {
			msg = "install it with: " + lang.Package
		}
		return plan{}, Invalid("language", "%s is not installed on this executor: %s", lang.Name, msg)
	}
	if v := req.Version; v != "" && v != "*" && v != tc.Version && !strings.HasPrefix(tc.Version, v+".") {
		return plan{}, Invalid("version", "%s %s is not installed here; this executor has %s %s (send \"*\" for any)", lang.Name, v, lang.Name, tc.Version)
	}
	main, err := checkFiles(req)
	if err != nil {
		return plan{}, err
	}
	if err := checkCases(req); err != nil {
		return plan{}, err
	}
	p := plan{lang: lang, version: tc.Version, main: main}
	if p.limits, err = resolveLimits("limits", req.Limits, DefaultLimits, lang.Limits, false); err != nil {
		return plan{}, err
	}
	if p.climit, err = resolveLimits("compile_limits", req.CompileLimits, DefaultCompileLimits, lang.Limits, true); err != nil {
		return plan{}, err
	}
	return p, nil
}

// Run validates req, waits for a slot, compiles (if the language has a compile stage) and runs
// the program in a fresh sandbox. A sandbox failure is a Result with status internal_error.
func (l *Local) Run(ctx context.Context, req Request, onEvent func(Event)) (Result, error) {
	p, err := l.prepare(ctx, req)
	if err != nil {
		return Result{}, err
	}
	if err := l.sched.acquire(ctx); err != nil {
		return Result{}, err
	}
	defer l.sched.release()

	res := Result{Language: p.lang.ID, Version: p.version}
	work := p.limits.FileBytes
	if p.lang.Compiled() && p.climit.FileBytes > work {
		work = p.climit.FileBytes
	}
	sb, err := sandbox.New(ctx, sandbox.Config{Binds: binds(p.lang.Paths), WorkSize: work})
	if err != nil {
		return internalError(res, ctx, "sandbox: start: %v", err)
	}
	defer sb.Close()
	files := make([]sandbox.File, len(req.Files))
	for i, f := range req.Files {
		files[i] = sandbox.File{Path: f.Name, Data: f.Content}
	}
	if err := sb.WriteFiles(files); err != nil {
		return internalError(res, ctx, "sandbox: write files: %v", err)
	}
	out := &output{onEvent: onEvent}
	env := environment(p.lang)

	if p.lang.Compiled() {
		c, err := stage(ctx, sb, out, StageCompile, languages.Expand(p.lang.Compile, p.main), env, nil, p.climit)
		if err != nil {
			return internalError(res, ctx, "sandbox: compile: %v", err)
		}
		c.Language, c.Version = res.Language, res.Version
		res.Compile = &c
		if c.Status != StatusOK {
			res.Status = StatusCompileError
			res.Message = "compilation failed: " + c.Message
			if c.Status == StatusRuntimeError {
				res.Message = "compilation failed; the compiler's messages are in compile.stderr"
			}
			return res, nil
		}
	}
	argv := append(languages.Expand(p.lang.Run, p.main), req.Args...)
	runStage := func(stdin []byte) (Result, error) {
		return stage(ctx, sb, out, StageRun, argv, env, bytes.NewReader(stdin), p.limits)
	}
	var r Result
	if len(req.Cases) > 0 {
		r, err = runCases(ctx, req, runStage)
	} else if req.StdinStream != nil {
		r, err = stage(ctx, sb, out, StageRun, argv, env, io.MultiReader(bytes.NewReader(req.Stdin), req.StdinStream), p.limits)
	} else {
		r, err = runStage(req.Stdin)
	}
	if err != nil {
		return internalError(res, ctx, "sandbox: run: %v", err)
	}
	r.Language, r.Version, r.Compile = res.Language, res.Version, res.Compile
	return r, nil
}

// internalError turns a machinery failure into a Result; when ctx ended, ctx's error wins.
func internalError(res Result, ctx context.Context, format string, args ...any) (Result, error) {
	if ctx.Err() != nil {
		return Result{}, ctx.Err()
	}
	res.Status = StatusInternalError
	res.ExitCode = -1
	res.Message = fmt.Sprintf(format, args...)
	return res, nil
}

// environment is the whole environment of a run: a minimal base plus the language's own.
func environment(lang *languages.Language) []string {
	env := []string{"PATH=" + languages.DefaultPath, "HOME=/tmp", "TMPDIR=/tmp", "LANG=C.UTF-8", "LC_ALL=C.UTF-8"}
	for _, kv := range lang.Env {
		k, _, _ := strings.Cut(kv, "=")
		env = slicesDeleteKey(env, k)
		env = append(env, kv)
	}
	return env
}

func slicesDeleteKey(env []string, key string) []string {
	out := env[:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, key+"=") {
			out = append(out, kv)
		}
	}
	return out
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
