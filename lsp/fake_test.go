package lsp

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/sandrun/sandrun/executor"
)

// fake is a deterministic executor.Executor for protocol tests. It does not run the source: it
// reads it as a script, one command per line:
//
//	out TEXT    writes TEXT and a newline to stdout
//	err TEXT    writes TEXT and a newline to stderr
//	stdin       copies stdin to stdout
//	readline    reads a line of stdin (Stdin, then StdinStream) and writes "got LINE" ("got EOF" at its end)
//	args        writes the args, space-separated, and a newline to stdout
//	split       writes "é" to stdout in two chunks, split inside the character
//	block       blocks until the run is cancelled
//	exit N      ends with exit code N
//	panic       panics (a bug in an executor)
//
// Anything else is ignored.
type fake struct {
	mu      sync.Mutex
	reqs    []executor.Request
	started chan string // receives each run's source when it starts
	ended   chan error  // receives each run's error when it ends
}

var _ executor.Executor = (*fake)(nil)

func newFake() *fake {
	return &fake{started: make(chan string, 64), ended: make(chan error, 64)}
}

func (f *fake) requests() []executor.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]executor.Request(nil), f.reqs...)
}

func (f *fake) Run(ctx context.Context, req executor.Request, onEvent func(executor.Event)) (res executor.Result, err error) {
	f.mu.Lock()
	f.reqs = append(f.reqs, req)
	f.mu.Unlock()
	src := string(req.Files[0].Content)
	send(f.started, src)
	defer func() { send(f.ended, err) }()
	res = executor.Result{Language: req.Language, Version: "3.11.2", Status: executor.StatusOK, CPUTimeMs: 5, WallTimeMs: 7, MemoryKiB: 2048}
	emit := func(s executor.Stream, data []byte) {
		if req.MergeOutput { // one descriptor for both, as the sandbox does
			s = executor.Stdout
		}
		onEvent(executor.Event{Stage: executor.StageRun, Stream: s, Data: data})
		if s == executor.Stdout {
			res.Stdout += string(data)
		} else {
			res.Stderr += string(data)
		}
	}
	var in io.Reader = bytes.NewReader(req.Stdin)
	if req.StdinStream != nil {
		in = io.MultiReader(in, req.StdinStream)
	}
	stdin := bufio.NewReader(in)
	for _, line := range strings.Split(src, "\n") {
		cmd, arg, _ := strings.Cut(strings.TrimSpace(line), " ")
		switch cmd {
		case "out":
			emit(executor.Stdout, []byte(arg+"\n"))
		case "err":
			emit(executor.Stderr, []byte(arg+"\n"))
		case "stdin":
			emit(executor.Stdout, req.Stdin)
		case "readline":
			got := make(chan string, 1)
			go func() {
				line, err := stdin.ReadString('\n')
				if err != nil {
					line = "EOF"
				}
				got <- "got " + strings.TrimSuffix(line, "\n") + "\n"
			}()
			select {
			case text := <-got:
				emit(executor.Stdout, []byte(text))
			case <-ctx.Done():
				return executor.Result{}, ctx.Err()
			}
		case "args":
			emit(executor.Stdout, []byte(strings.Join(req.Args, " ")+"\n"))
		case "split":
			emit(executor.Stdout, []byte("é")[:1])
			emit(executor.Stdout, []byte("é")[1:])
		case "block":
			<-ctx.Done()
			return executor.Result{}, ctx.Err()
		case "exit":
			res.ExitCode, _ = strconv.Atoi(arg)
			res.Status = executor.StatusRuntimeError
			res.Message = "the program exited with code " + arg
		case "panic":
			panic("fake executor: panic asked for")
		}
	}
	return res, nil
}

func (f *fake) Languages(ctx context.Context) ([]executor.LanguageInfo, error) {
	return []executor.LanguageInfo{{ID: "python", Name: "Python", Version: "3.11.2", Aliases: []string{"py"},
		Extensions: []string{".py"}, VSCodeID: "python", Available: true}}, nil
}

func (f *fake) Capacity(ctx context.Context) (executor.Capacity, error) {
	return executor.Capacity{Slots: 1}, nil
}

// fakeOpener opens f for "local" and records every configuration it was asked to open.
type fakeOpener struct {
	f *fake

	mu     sync.Mutex
	opened []ExecutorConfig
	closed []ExecutorConfig
}

func (o *fakeOpener) open(ctx context.Context, cfg ExecutorConfig) (executor.Executor, func() error, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.opened = append(o.opened, cfg)
	if strings.HasPrefix(cfg.Spec, "tcp://unreachable") {
		return nil, nil, errors.New("dial tcp: connection refused")
	}
	return o.f, func() error {
		o.mu.Lock()
		defer o.mu.Unlock()
		o.closed = append(o.closed, cfg)
		return nil
	}, nil
}

func (o *fakeOpener) configs() (opened, closed []ExecutorConfig) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]ExecutorConfig(nil), o.opened...), append([]ExecutorConfig(nil), o.closed...)
}

// send sends v unless ch is full (a benchmark's many runs are never waited for).
func send[T any](ch chan T, v T) {
	select {
	case ch <- v:
	default:
	}
}
