package remote

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sandrun/sandrun/executor"
)

// fake is an executor.Executor for transport tests. The request's first file is a script, one
// command a line:
//
//	out TEXT    print TEXT and a newline on stdout (one event)
//	err TEXT    the same on stderr
//	cat         copy stdin to stdout
//	readline    read a line of stdin (Stdin, then StdinStream) and print "got LINE" ("got EOF" at its end)
//	drain       read stdin to its end and print "read N bytes"
//	gate        wait until the fake's gate is closed (or canceled)
//	args        print the args, one a line
//	spam N      N events of 4 KiB on stdout
//	sleep D     wait D (a Go duration), or until canceled
//	block       wait until canceled
//	exit N      end with exit code N (status runtime_error when N != 0)
//
// Language "fake" only; others are a *RequestError on field "language". At most slots runs at once
// plus queue waiting; beyond that ErrBusy.
type fake struct {
	sem   chan struct{} // slots + queue
	slots int
	// langGate, when set, makes Languages wait until it is closed (or ctx ends).
	langGate chan struct{}
	// gate is what the "gate" command waits for.
	gate chan struct{}

	mu       sync.Mutex
	started  int
	canceled int
	running  int
}

func newFake(slots, queue int) *fake {
	return &fake{sem: make(chan struct{}, slots+queue), slots: slots, gate: make(chan struct{})}
}

func (f *fake) Run(ctx context.Context, req executor.Request, onEvent func(executor.Event)) (executor.Result, error) {
	if req.Language != "fake" {
		return executor.Result{}, executor.Invalid("language", "unknown language %q; this fake knows only \"fake\"", req.Language)
	}
	if len(req.Files) == 0 {
		return executor.Result{}, executor.Invalid("files", "no files")
	}
	select {
	case f.sem <- struct{}{}:
	default:
		return executor.Result{}, executor.ErrBusy
	}
	defer func() { <-f.sem }()
	f.mu.Lock()
	f.started++
	f.running++
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.running--
		if ctx.Err() != nil {
			f.canceled++
		}
		f.mu.Unlock()
	}()

	res := executor.Result{Language: "fake", Version: "1.0", Status: executor.StatusOK}
	var stdout, stderr bytes.Buffer
	emit := func(s executor.Stream, data []byte) {
		if s == executor.Stdout {
			stdout.Write(data)
		} else {
			stderr.Write(data)
		}
		if onEvent != nil {
			onEvent(executor.Event{Stage: executor.StageRun, Stream: s, Data: data})
		}
	}
	var in io.Reader = bytes.NewReader(req.Stdin)
	if req.StdinStream != nil {
		in = io.MultiReader(in, req.StdinStream)
	}
	stdin := bufio.NewReader(in)
	// read runs f on stdin in a goroutine, so that a cancel is never stuck behind a Read, and
	// prints what it returns.
	read := func(f func() string) {
		done := make(chan string, 1)
		go func() { done <- f() }()
		select {
		case text := <-done:
			emit(executor.Stdout, []byte(text))
		case <-ctx.Done():
		}
	}
	sc := bufio.NewScanner(bytes.NewReader(req.Files[0].Content))
	for sc.Scan() {
		cmd, arg, _ := strings.Cut(sc.Text(), " ")
		switch cmd {
		case "out":
			emit(executor.Stdout, []byte(arg+"\n"))
		case "err":
			emit(executor.Stderr, []byte(arg+"\n"))
		case "cat":
			emit(executor.Stdout, req.Stdin)
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
		case "gate":
			select {
			case <-f.gate:
			case <-ctx.Done():
			}
		case "args":
			for _, a := range req.Args {
				emit(executor.Stdout, []byte(a+"\n"))
			}
		case "spam":
			n, _ := strconv.Atoi(arg)
			chunk := bytes.Repeat([]byte("x"), 4096)
			for i := 0; i < n && ctx.Err() == nil; i++ {
				emit(executor.Stdout, chunk)
			}
		case "sleep", "block":
			d := time.Hour
			if cmd == "sleep" {
				d, _ = time.ParseDuration(arg)
			}
			select {
			case <-time.After(d):
			case <-ctx.Done():
			}
		case "exit":
			res.ExitCode, _ = strconv.Atoi(arg)
			if res.ExitCode != 0 {
				res.Status = executor.StatusRuntimeError
				res.Message = fmt.Sprintf("exited with code %d", res.ExitCode)
			}
		}
		if ctx.Err() != nil {
			return executor.Result{}, ctx.Err()
		}
	}
	// Results are valid UTF-8 (the contract); events carry the raw bytes.
	res.Stdout, res.Stderr = strings.ToValidUTF8(stdout.String(), "\uFFFD"), strings.ToValidUTF8(stderr.String(), "\uFFFD")
	return res, nil
}

func (f *fake) Languages(ctx context.Context) ([]executor.LanguageInfo, error) {
	if f.langGate != nil {
		select {
		case <-f.langGate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return []executor.LanguageInfo{{ID: "fake", Name: "Fake", Version: "1.0", Aliases: []string{"fk"}, Extensions: []string{".fake"}, Available: true}}, nil
}

func (f *fake) Capacity(ctx context.Context) (executor.Capacity, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return executor.Capacity{Slots: f.slots, Running: f.running, QueueMax: cap(f.sem) - f.slots, Version: executor.Version}, nil
}

// stats returns how many runs started and how many ended canceled.
func (f *fake) stats() (started, canceled int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.started, f.canceled
}

// waitFor polls cond until it holds or 10s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// script makes a fake request.
func script(lines ...string) executor.Request {
	return executor.Request{Language: "fake", Files: []executor.File{{Name: "main.fake", Content: []byte(strings.Join(lines, "\n"))}}}
}
