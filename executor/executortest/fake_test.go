package executortest_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/executor/executortest"
)

func script(lang string, lines ...string) executor.Request {
	return executor.Request{Language: lang, Files: []executor.File{{Name: "main", Content: []byte(strings.Join(lines, "\n"))}}}
}

func TestFakeScript(t *testing.T) {
	f := executortest.NewFake()
	f.CPUTimeMs = 3
	req := script("python", "out hi", "err oops", "  stdin", "args", "exit 4")
	req.Stdin, req.Args = []byte("in\n"), []string{"a", "b c"}
	var events []string
	res, err := f.Run(context.Background(), req, func(ev executor.Event) { events = append(events, string(ev.Stream)+":"+string(ev.Data)) })
	if err != nil {
		t.Fatal(err)
	}
	want := executor.Result{Language: "python", Version: "3.11.2", Status: executor.StatusRuntimeError, ExitCode: 4,
		Message: "exited with code 4", Stdout: "hi\nin\na\nb c\n", Stderr: "oops\n", CPUTimeMs: 3}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"stdout:hi\n", "stderr:oops\n", "stdout:in\n", "stdout:a\n", "stdout:b c\n"}, events); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if reqs := f.Requests(); len(reqs) != 1 || reqs[0].Language != "python" {
		t.Errorf("requests %+v", reqs)
	}
}

func TestFakeCompiledAndLimits(t *testing.T) {
	f := executortest.NewFake()
	res, _ := f.Run(context.Background(), script("c", "compile-error main.c:1: nope"), nil)
	if res.Status != executor.StatusCompileError || res.Compile == nil || res.Compile.Stderr != "main.c:1: nope\n" {
		t.Errorf("compile error: %+v", res)
	}
	for cmd, st := range map[string]executor.Status{"timeout": executor.StatusTimeLimit, "oom": executor.StatusMemoryLimit,
		"flood": executor.StatusOutputLimit, "signal SIGSEGV": executor.StatusSignaled, "internal": executor.StatusInternalError} {
		if res, _ := f.Run(context.Background(), script("python", cmd), nil); res.Status != st {
			t.Errorf("%s: status %q, want %q", cmd, res.Status, st)
		}
	}
	if _, err := f.Run(context.Background(), script("cobol", "out x"), nil); !executor.IsRequestError(err) {
		t.Errorf("a language that is not installed: %v, want a RequestError", err)
	}
}

func TestFakeBusyAndCancel(t *testing.T) {
	f := executortest.NewFake()
	f.Slots, f.Queue = 1, 0
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := f.Run(ctx, script("python", "block"), nil); done <- err }()
	<-f.Started
	if _, err := f.Run(context.Background(), script("python", "out x"), nil); !errors.Is(err, executor.ErrBusy) {
		t.Errorf("second run with one slot: %v, want ErrBusy", err)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("canceled run: %v", err)
	}
	if started, canceled := f.Stats(); started != 1 || canceled != 1 {
		t.Errorf("stats %d started %d canceled; want 1, 1", started, canceled)
	}
	if err := <-f.Ended; !errors.Is(err, context.Canceled) {
		t.Errorf("Ended got %v", err)
	}
}
