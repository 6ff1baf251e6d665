package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/languages"
)

// echoExec is a fake executor: it prints the source back, and blocks until cancelled when the
// source says "block".
type echoExec struct{ started chan string }

func (e echoExec) Run(ctx context.Context, req executor.Request, onEvent func(executor.Event)) (executor.Result, error) {
	src := string(req.Files[0].Content)
	e.started <- src
	onEvent(executor.Event{Stage: executor.StageRun, Stream: executor.Stdout, Data: []byte(src)})
	if strings.Contains(src, "block") {
		<-ctx.Done()
		return executor.Result{}, ctx.Err()
	}
	if strings.Contains(src, "fail") {
		return executor.Result{Status: executor.StatusRuntimeError, ExitCode: 3, Message: "the program exited with code 3", Stdout: src}, nil
	}
	return executor.Result{Status: executor.StatusOK, Stdout: src, CPUTimeMs: 4, WallTimeMs: 6, MemoryKiB: 1024}, nil
}

func (echoExec) Languages(context.Context) ([]executor.LanguageInfo, error) { return nil, nil }
func (echoExec) Capacity(context.Context) (executor.Capacity, error)        { return executor.Capacity{}, nil }

// syncBuffer is a bytes.Buffer safe for the watcher's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor waits until buf contains want.
func waitFor(t *testing.T, buf *syncBuffer, want string) {
	t.Helper()
	waitForN(t, buf, want, 1)
}

// waitForN waits until buf contains want n times.
func waitForN(t *testing.T, buf *syncBuffer, want string, n int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute) // a hang only
	for strings.Count(buf.String(), want) < n {
		if time.Now().After(deadline) {
			t.Fatalf("never printed %q; output so far:\n%s", want, buf.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestWatchReruns(t *testing.T) {
	set, err := languages.Load()
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "w.py")
	if err := os.WriteFile(file, []byte("one\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// write rewrites the file in place, as an editor's save does, but in one write over its
	// start and with no truncation (each text is longer than the one before): os.WriteFile
	// truncates first, and a starved test let the 30ms debounce run the empty file in between.
	write := func(s string) {
		t.Helper()
		f, err := os.OpenFile(file, os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if fi, err := f.Stat(); err != nil || fi.Size() > int64(len(s)) {
			t.Fatalf("write %q: %v; or the file holds more", s, err)
		}
		if _, err := f.WriteAt([]byte(s), 0); err != nil {
			t.Fatal(err)
		}
	}
	ex := echoExec{started: make(chan string, 16)}
	var stdout, stderr syncBuffer
	w := &watcher{ex: ex, set: set, file: file, stdout: &stdout, stderr: &stderr}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.watch(ctx, 30*time.Millisecond) }()

	waitFor(t, &stderr, "watching "+file)
	write("two, no newline")
	// Run 2's own status line (run 1 printed one too): a change before it could stop run 2.
	waitForN(t, &stderr, "── ok · exit 0 · cpu 4 ms", 2)
	write("fail, the third text\n")
	waitFor(t, &stderr, "── runtime_error: the program exited with code 3 · exit 3")
	// A change while a run goes on stops it and runs the new text.
	write("block, the fourth text\n")
	for <-ex.started != "block, the fourth text\n" {
	}
	tmp := file + ".tmp"
	if err := os.WriteFile(tmp, []byte("four\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, file); err != nil { // an editor's atomic save
		t.Fatal(err)
	}
	waitFor(t, &stderr, "── stopped: w.py changed ──")
	waitFor(t, &stdout, "four\n")
	waitFor(t, &stderr, "run 5")
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("watch ended with %v, want nil after Ctrl-C", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("watch did not end after its context was cancelled")
	}
	if got, want := stdout.String(), "one\ntwo, no newlinefail, the third text\nblock, the fourth text\nfour\n"; got != want {
		t.Errorf("stdout = %q, want %q", got, want)
	}
	if n := strings.Count(stderr.String(), "watching "); n != 1 {
		t.Errorf("the \"watching\" line was printed %d times, want once:\n%s", n, stderr.String())
	}
	// "two, no newline" went to stdout; the status line after it still starts a line.
	if !strings.Contains(stderr.String(), "run 2 · ") || !strings.Contains(stderr.String(), "\n\n── ok") {
		t.Errorf("the status line after output with no final newline does not start its own line:\n%s", stderr.String())
	}
}

func TestWatchBadInput(t *testing.T) {
	dir := t.TempDir()
	txt := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(txt, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     string
	}{
		{"no file", []string{"watch"}, 2, "give exactly one FILE"},
		{"missing file", []string{"watch", filepath.Join(dir, "nope.py")}, 2, "no such file"},
		{"stdin", []string{"watch", "--lang", "python", "-"}, 2, "needs a file on disk"},
		{"unknown language", []string{"watch", txt}, 2, `cannot tell the language of ` + txt},
		{"bad flag", []string{"watch", "--time-limit", "soon", txt}, 2, "--time-limit soon is not a time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := sandrunCLI(t, "", tt.args...)
			if code != tt.wantCode || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, stderr, tt.wantCode, tt.want)
			}
		})
	}
}
