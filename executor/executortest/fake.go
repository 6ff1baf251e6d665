package executortest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sandrun/sandrun/executor"
)

// Fake is a scriptable executor.Executor for the tests of transports and front ends (remote, lsp,
// web): it runs nothing, but reads the request's main file as a script, one command a line
// (leading white space ignored, unknown commands too):
//
//	out TEXT          TEXT and a newline on stdout (one event)
//	err TEXT          the same on stderr
//	raw TEXT          TEXT, Go-unquoted, on stdout with no newline
//	split             "é" on stdout in two events, split inside the character
//	cat | stdin       Request.Stdin on stdout
//	readline          read a line of stdin (Stdin, then StdinStream); print "got LINE" ("got EOF" at its end)
//	drain             read stdin to its end; print "read N bytes"
//	args              the args on stdout, one a line
//	spam N            N events of 4 KiB on stdout
//	gate              wait until Gate is closed (or the run is canceled)
//	sleep D           wait D (a Go duration), or until canceled
//	block             wait until canceled
//	exit N            end with exit code N (status runtime_error when N != 0)
//	signal S          killed by signal S (status signaled)
//	timeout | oom | flood | flood-stderr | internal    end with that limit or failure
//	compile-error T   (compiled languages) the compile stage prints T on stderr and fails
//	panic             panic (a bug in an executor)
//
// With Request.MergeOutput, stderr goes to stdout. A canceled run returns ctx.Err(). Languages are Langs (FakeLanguages when nil); another
// language, or one not Available, is a *RequestError. With Slots or Queue set, more than
// Slots+Queue runs at once get ErrBusy. Every request is recorded (Requests).
type Fake struct {
	Langs        []executor.LanguageInfo
	Slots, Queue int
	// CPUTimeMs, WallTimeMs and MemoryKiB are what every run reports.
	CPUTimeMs, WallTimeMs, MemoryKiB int64
	// RunFunc, when set, runs instead of the script (the request is still recorded).
	RunFunc func(ctx context.Context, req executor.Request, onEvent func(executor.Event)) (executor.Result, error)
	// CapacityErr, when set, is what Capacity returns.
	CapacityErr error
	// LanguagesGate, when set, makes Languages wait until it is closed (or ctx ends).
	LanguagesGate chan struct{}
	// Gate is what the "gate" command waits for; NewFake makes it.
	Gate chan struct{}
	// Started receives each run's script when it starts, Ended each run's error when it ends
	// (when set; a full channel drops the value rather than block a run).
	Started chan string
	Ended   chan error

	semOnce sync.Once
	sem     chan struct{} // Slots + Queue tokens; nil: unbounded

	mu       sync.Mutex
	reqs     []executor.Request
	started  int
	canceled int
	running  int
}

var _ executor.Executor = (*Fake)(nil)

// FakeLanguages are a Fake's languages unless Langs says otherwise.
var FakeLanguages = []executor.LanguageInfo{
	{ID: "c", Name: "C", Version: "12.2.0", Aliases: []string{"gcc"}, Extensions: []string{".c"}, Compiled: true, Available: true},
	{ID: "cobol", Name: "COBOL", Aliases: []string{"cob"}, Extensions: []string{".cob"}, Available: false, Missing: "install it with: apt-get install gnucobol"},
	{ID: "python", Name: "Python", Version: "3.11.2", Aliases: []string{"py", "python3"}, Extensions: []string{".py"}, VSCodeID: "python", Available: true},
}

// NewFake returns a Fake with its Gate and its Started and Ended channels (64 deep) made.
func NewFake() *Fake {
	return &Fake{Gate: make(chan struct{}), Started: make(chan string, 64), Ended: make(chan error, 64)}
}

// Requests returns every request Run got, in order.
func (f *Fake) Requests() []executor.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]executor.Request(nil), f.reqs...)
}

// Stats returns how many runs started and how many ended canceled.
func (f *Fake) Stats() (started, canceled int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.started, f.canceled
}

func (f *Fake) languages() []executor.LanguageInfo {
	if f.Langs != nil {
		return f.Langs
	}
	return FakeLanguages
}

// Languages implements executor.Executor.
func (f *Fake) Languages(ctx context.Context) ([]executor.LanguageInfo, error) {
	if f.LanguagesGate != nil {
		select {
		case <-f.LanguagesGate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return f.languages(), nil
}

// Capacity implements executor.Executor.
func (f *Fake) Capacity(ctx context.Context) (executor.Capacity, error) {
	if f.CapacityErr != nil {
		return executor.Capacity{}, f.CapacityErr
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return executor.Capacity{Slots: f.Slots, Running: f.running, QueueMax: f.Queue, Version: executor.Version}, nil
}

// Run implements executor.Executor (see Fake).
func (f *Fake) Run(ctx context.Context, req executor.Request, onEvent func(executor.Event)) (res executor.Result, err error) {
	f.mu.Lock()
	f.reqs = append(f.reqs, req)
	f.mu.Unlock()
	if onEvent == nil {
		onEvent = func(executor.Event) {}
	}
	if f.RunFunc != nil {
		return f.RunFunc(ctx, req, onEvent)
	}
	var info executor.LanguageInfo
	for _, l := range f.languages() {
		if l.ID == req.Language {
			info = l
		}
	}
	if !info.Available {
		ids := make([]string, 0, len(f.languages()))
		for _, l := range f.languages() {
			if l.Available {
				ids = append(ids, strconv.Quote(l.ID))
			}
		}
		return executor.Result{}, executor.Invalid("language", "unknown language %q; this fake knows %s", req.Language, strings.Join(ids, ", "))
	}
	src, ok := mainSource(req)
	if !ok {
		return executor.Result{}, executor.Invalid("files", "no source given")
	}
	f.semOnce.Do(func() {
		if f.Slots+f.Queue > 0 {
			f.sem = make(chan struct{}, f.Slots+f.Queue)
		}
	})
	if f.sem != nil {
		select {
		case f.sem <- struct{}{}:
		default:
			return executor.Result{}, executor.ErrBusy
		}
		defer func() { <-f.sem }()
	}
	f.mu.Lock()
	f.started++
	f.running++
	f.mu.Unlock()
	send(f.Started, src)
	defer func() {
		f.mu.Lock()
		f.running--
		if ctx.Err() != nil {
			f.canceled++
		}
		f.mu.Unlock()
		send(f.Ended, err)
	}()
	r := &script{f: f, ctx: ctx, req: req, onEvent: onEvent}
	return r.run(info, src)
}

// mainSource is the content of the request's main file.
func mainSource(req executor.Request) (string, bool) {
	main := req.Main
	if main == "" && len(req.Files) > 0 {
		main = req.Files[0].Name
	}
	for _, file := range req.Files {
		if file.Name == main {
			return string(file.Content), true
		}
	}
	return "", false
}

// script is one run of a Fake's script.
type script struct {
	f       *Fake
	ctx     context.Context
	req     executor.Request
	onEvent func(executor.Event)

	stdout, stderr bytes.Buffer
}

func (s *script) emit(stream executor.Stream, data []byte) {
	if s.req.MergeOutput { // one descriptor for both, as the sandbox does
		stream = executor.Stdout
	}
	if stream == executor.Stdout {
		s.stdout.Write(data)
	} else {
		s.stderr.Write(data)
	}
	s.onEvent(executor.Event{Stage: executor.StageRun, Stream: stream, Data: data})
}

func (s *script) run(info executor.LanguageInfo, src string) (executor.Result, error) {
	f, ctx, req := s.f, s.ctx, s.req
	res := executor.Result{Language: info.ID, Version: info.Version, Status: executor.StatusOK,
		CPUTimeMs: f.CPUTimeMs, WallTimeMs: f.WallTimeMs, MemoryKiB: f.MemoryKiB}
	if info.Compiled {
		c := &executor.Result{Language: info.ID, Version: info.Version, Status: executor.StatusOK, CPUTimeMs: 100, WallTimeMs: 120, MemoryKiB: 30000}
		res.Compile = c
		if i := strings.Index(src, "compile-error "); i >= 0 {
			msg, _, _ := strings.Cut(src[i+len("compile-error "):], "\n")
			s.onEvent(executor.Event{Stage: executor.StageCompile, Stream: executor.Stderr, Data: []byte(msg + "\n")})
			c.Status, c.ExitCode, c.Stderr, c.Message = executor.StatusRuntimeError, 1, msg+"\n", "exited with code 1"
			res.Status, res.Message = executor.StatusCompileError, "compilation failed"
			res.CPUTimeMs, res.WallTimeMs, res.MemoryKiB = 0, 0, 0
			return res, nil
		}
	}
	var in io.Reader = bytes.NewReader(req.Stdin)
	if req.StdinStream != nil {
		in = io.MultiReader(in, req.StdinStream)
	}
	stdin := bufio.NewReader(in)
	// read runs fn on stdin in a goroutine, so that a cancel is never stuck behind a Read, and
	// prints what it returns.
	read := func(fn func() string) {
		done := make(chan string, 1)
		go func() { done <- fn() }()
		select {
		case text := <-done:
			s.emit(executor.Stdout, []byte(text))
		case <-ctx.Done():
		}
	}
	killed := func(st executor.Status, msg string) {
		res.Status, res.ExitCode, res.Signal, res.Message = st, -1, "SIGKILL", msg
	}
	for _, line := range strings.Split(src, "\n") {
		cmd, arg, _ := strings.Cut(strings.TrimRight(strings.TrimLeft(line, " \t"), "\r"), " ")
		switch cmd {
		case "out":
			s.emit(executor.Stdout, []byte(arg+"\n"))
		case "err":
			s.emit(executor.Stderr, []byte(arg+"\n"))
		case "raw":
			text, err := strconv.Unquote(arg)
			if err != nil {
				return res, fmt.Errorf("fake: raw %s: %w", arg, err)
			}
			s.emit(executor.Stdout, []byte(text))
		case "split":
			s.emit(executor.Stdout, []byte("é")[:1])
			s.emit(executor.Stdout, []byte("é")[1:])
		case "cat", "stdin":
			s.emit(executor.Stdout, req.Stdin)
		case "readline":
			read(func() string {
				line, err := stdin.ReadString('\n')
				if err != nil {
					line = "EOF"
				}
				return "got " + strings.TrimSuffix(line, "\n") + "\n"
			})
		case "drain":
			read(func() string {
				n, _ := io.Copy(io.Discard, stdin)
				return fmt.Sprintf("read %d bytes\n", n)
			})
		case "args":
			for _, a := range req.Args {
				s.emit(executor.Stdout, []byte(a+"\n"))
			}
		case "spam":
			n, _ := strconv.Atoi(arg)
			chunk := bytes.Repeat([]byte("x"), 4096)
			for i := 0; i < n && ctx.Err() == nil; i++ {
				s.emit(executor.Stdout, chunk)
			}
		case "gate":
			select {
			case <-f.Gate:
			case <-ctx.Done():
			}
		case "sleep", "block":
			d := time.Hour
			if cmd == "sleep" {
				d, _ = time.ParseDuration(arg)
			}
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-ctx.Done():
			}
			t.Stop()
		case "exit":
			res.ExitCode, _ = strconv.Atoi(arg)
			if res.ExitCode != 0 {
				res.Status, res.Message = executor.StatusRuntimeError, "exited with code "+arg
			}
		case "signal":
			res.Status, res.ExitCode, res.Signal, res.Message = executor.StatusSignaled, -1, arg, "killed by "+arg
		case "timeout":
			killed(executor.StatusTimeLimit, "CPU time limit of 2s exceeded")
		case "oom":
			killed(executor.StatusMemoryLimit, "memory limit of 256 MiB exceeded")
		case "flood":
			killed(executor.StatusOutputLimit, "stdout passed 1 MiB")
			res.StdoutTruncated = true
		case "flood-stderr":
			killed(executor.StatusOutputLimit, "stderr passed 1 MiB")
			res.StderrTruncated = true
		case "internal":
			res.Status, res.ExitCode, res.Message = executor.StatusInternalError, -1, "sandbox: could not start"
		case "panic":
			panic("fake executor: panic asked for")
		}
		if ctx.Err() != nil {
			return executor.Result{}, ctx.Err()
		}
	}
	// Results are valid UTF-8 (the contract); events carry the raw bytes.
	res.Stdout = strings.ToValidUTF8(s.stdout.String(), "\uFFFD")
	res.Stderr = strings.ToValidUTF8(s.stderr.String(), "\uFFFD")
	return res, nil
}

// send sends v on ch unless ch is nil or full.
func send[T any](ch chan T, v T) {
	if ch == nil {
		return
	}
	select {
	case ch <- v:
	default:
	}
}
