package local

import (
	"context"
	"errors"
	"io"
	"maps"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/executor/sandbox"
	"github.com/sandrun/sandrun/languages"
)

// These tests drive the orchestration (validation, compile cache, stages, cases, the mapping of
// machinery failures) with a fake sandbox: no namespaces, no root, no toolchain but sh.

// testLanguages: "comp" compiles main.comp into ./main, "interp" runs main.interp as it is.
var testLanguages = fstest.MapFS{
	"comp.toml": {Data: []byte(`id = "comp"
name = "Compiled"
source_file = "main.comp"
compile = ["sh", "{file}"]
run = ["./{stem}"]
version = ["sh", "-c", "echo 1.0"]
package = "none"
hello = "x"
`)},
	"interp.toml": {Data: []byte(`id = "interp"
name = "Interpreted"
source_file = "main.interp"
run = ["sh", "{file}"]
version = ["sh", "-c", "echo 2.0"]
package = "none"
hello = "x"
`)},
}

// fakeBox is one sandbox: a /work of files, and commands played by a script.
type fakeBox struct {
	boxes *fakeBoxes
	files map[string]sandbox.File
	saved map[string]sandbox.File // the checkpoint
}

func (b *fakeBox) Checkpoint(ctx context.Context) error {
	b.saved = maps.Clone(b.files)
	return nil
}

func (b *fakeBox) Restore(ctx context.Context) error {
	b.files = maps.Clone(b.saved)
	return nil
}

func (b *fakeBox) WriteFiles(files []sandbox.File) error {
	for _, f := range files {
		b.files[f.Path] = f
	}
	return nil
}

func (b *fakeBox) ListFiles(max int) ([]sandbox.FileInfo, error) {
	var out []sandbox.FileInfo
	for _, f := range b.files {
		out = append(out, sandbox.FileInfo{Path: f.Path, Mode: f.Mode, Size: int64(len(f.Data))})
	}
	return out, nil
}

func (b *fakeBox) ReadFile(path string, max int64) ([]byte, error) {
	f, ok := b.files[path]
	if !ok {
		return nil, errors.New("no such file")
	}
	return f.Data, nil
}

func (b *fakeBox) Run(ctx context.Context, cmd sandbox.Cmd) (sandbox.Outcome, error) {
	b.boxes.mu.Lock()
	b.boxes.cmds = append(b.boxes.cmds, strings.Join(cmd.Args, " "))
	play := b.boxes.play
	b.boxes.mu.Unlock()
	return play(ctx, b, cmd)
}

func (b *fakeBox) Close() error { return nil }

// fakeBoxes hands out fresh fakeBoxes and records what happened to them.
type fakeBoxes struct {
	play   func(ctx context.Context, b *fakeBox, cmd sandbox.Cmd) (sandbox.Outcome, error)
	getErr error

	mu        sync.Mutex
	cmds      []string // every command run, in order
	healthy   int      // sandboxes given back healthy
	unhealthy int
}

func (f *fakeBoxes) Get(ctx context.Context, cfg sandbox.Config) (Sandbox, error) {
	if f.getErr != nil {
		return nil, f.getErr
	}
	return &fakeBox{boxes: f, files: map[string]sandbox.File{}}, nil
}

func (f *fakeBoxes) Put(sb Sandbox, healthy bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if healthy {
		f.healthy++
	} else {
		f.unhealthy++
	}
}

func (f *fakeBoxes) Close() error { return nil }

func (f *fakeBoxes) commands() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.cmds...)
}

// playScript is the usual script: the compile writes ./main (or fails when the source says
// "broken"); a run echoes its stdin, prefixed with "out:", and exits 3 when stdin is "fail".
func playScript(ctx context.Context, b *fakeBox, cmd sandbox.Cmd) (sandbox.Outcome, error) {
	oc := sandbox.Outcome{CPUTime: 10 * time.Millisecond, WallTime: 20 * time.Millisecond, MemoryPeak: 1 << 20}
	if cmd.Args[0] == "sh" && strings.HasSuffix(cmd.Args[1], ".comp") {
		if strings.Contains(string(b.files[cmd.Args[1]].Data), "broken") {
			io.WriteString(cmd.Stderr, "main.comp:1: syntax error\n")
			oc.ExitCode = 1
			return oc, nil
		}
		io.WriteString(cmd.Stderr, "warning: compiled\n")
		b.files["main"] = sandbox.File{Path: "main", Data: []byte("binary"), Mode: 0o755}
		return oc, nil
	}
	if cmd.Args[0] == "./main" {
		if _, ok := b.files["main"]; !ok {
			return oc, errors.New("exec ./main: no such file")
		}
	}
	in, _ := io.ReadAll(cmd.Stdin)
	io.WriteString(cmd.Stdout, "out:"+string(in))
	if string(in) == "fail" {
		oc.ExitCode = 3
	}
	return oc, nil
}

func newFakeLocal(t *testing.T, boxes *fakeBoxes) *Executor {
	t.Helper()
	set, err := languages.LoadFS(testLanguages)
	if err != nil {
		t.Fatal(err)
	}
	if boxes.play == nil {
		boxes.play = playScript
	}
	l, err := New(Options{Slots: 2, Languages: set, Sandboxes: boxes, GoBuildCache: "off"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func source(lang, name, text string) Request {
	return Request{Language: lang, Files: []File{{Name: name, Content: []byte(text)}}}
}

func TestCompileCacheMissThenHit(t *testing.T) {
	boxes := &fakeBoxes{}
	l := newFakeLocal(t, boxes)
	req := source("comp", "main.comp", "ok")
	req.Stdin = []byte("hi")
	var events []Event
	first, err := l.Run(context.Background(), req, func(ev Event) { events = append(events, ev) })
	if err != nil {
		t.Fatal(err)
	}
	if first.Status != StatusOK || first.Stdout != "out:hi" || first.Compile == nil || first.Compile.Cached {
		t.Fatalf("first run: %+v; want ok, compiled (not from the cache)", first)
	}
	second, err := l.Run(context.Background(), req, nil)
	if err != nil {
		t.Fatal(err)
	}
	if second.Status != StatusOK || second.Stdout != "out:hi" || !second.Compile.Cached || second.Compile.Stderr != "warning: compiled\n" {
		t.Fatalf("second run: %+v, compile %+v; want ok from the cache, with the compiler's messages", second, second.Compile)
	}
	want := []string{"sh main.comp", "./main", "./main"} // the second run did not compile
	if diff := cmp.Diff(want, boxes.commands()); diff != "" {
		t.Errorf("commands (-want +got):\n%s", diff)
	}
	wantEvents := []Event{
		{Stage: StageCompile, Stream: Stderr, Data: []byte("warning: compiled\n")},
		{Stage: StageRun, Stream: Stdout, Data: []byte("out:hi")},
	}
	if diff := cmp.Diff(wantEvents, events); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if boxes.healthy != 2 || boxes.unhealthy != 0 {
		t.Errorf("sandboxes given back: %d healthy, %d not; want 2, 0", boxes.healthy, boxes.unhealthy)
	}
}

func TestCompileErrorSkipsTheRun(t *testing.T) {
	boxes := &fakeBoxes{}
	l := newFakeLocal(t, boxes)
	res, err := l.Run(context.Background(), source("comp", "main.comp", "broken"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != StatusCompileError || res.Compile == nil || res.Compile.ExitCode != 1 ||
		res.Compile.Stderr != "main.comp:1: syntax error\n" || !strings.Contains(res.Message, "compile.stderr") {
		t.Fatalf("result %+v, compile %+v; want compile_error with the compiler's messages", res, res.Compile)
	}
	if cmds := boxes.commands(); len(cmds) != 1 {
		t.Errorf("commands %q: want the compile only", cmds)
	}
	// A failed compile is not cached: the next run compiles again.
	l.Run(context.Background(), source("comp", "main.comp", "broken"), nil)
	if cmds := boxes.commands(); len(cmds) != 2 {
		t.Errorf("commands %q: want a second compile", cmds)
	}
}

func TestCasesAggregate(t *testing.T) {
	l := newFakeLocal(t, &fakeBoxes{})
	want1, want2 := "out:1", "out:wrong"
	req := source("interp", "main.interp", "")
	req.Cases = []Case{{Stdin: []byte("1"), Expected: &want1}, {Stdin: []byte("2"), Expected: &want2}, {Stdin: []byte("fail")}}
	res, err := l.Run(context.Background(), req, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Cases) != 3 {
		t.Fatalf("%d case results, want 3", len(res.Cases))
	}
	passed := func(i int) bool { return res.Cases[i].Passed != nil && *res.Cases[i].Passed }
	if !passed(0) || passed(1) || res.Cases[2].Passed != nil || res.Cases[2].ExitCode != 3 {
		t.Errorf("cases %+v: want passed, failed, no expectation with exit 3", res.Cases)
	}
	// The first failing case (2) printed the wrong output: the run is wrong_answer.
	if res.Status != StatusWrongAnswer || !strings.HasPrefix(res.Message, "1 of 3 cases passed; first failure: case 2") {
		t.Errorf("status %q message %q; want wrong_answer naming case 2", res.Status, res.Message)
	}
	if res.CPUTimeMs != 30 || res.WallTimeMs != 60 || res.MemoryKiB != 1024 || res.Stdout != "" {
		t.Errorf("cpu %d wall %d mem %d stdout %q; want sums 30 and 60, peak 1024, no stdout", res.CPUTimeMs, res.WallTimeMs, res.MemoryKiB, res.Stdout)
	}
	if res.Language != "interp" || res.Version != "2.0" {
		t.Errorf("language %q version %q", res.Language, res.Version)
	}
}

func TestMachineryFailureIsInternalError(t *testing.T) {
	t.Run("sandbox does not start", func(t *testing.T) {
		l := newFakeLocal(t, &fakeBoxes{getErr: errors.New("clone: operation not permitted")})
		res, err := l.Run(context.Background(), source("interp", "main.interp", ""), nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != StatusInternalError || res.ExitCode != -1 || res.Message != "sandbox: start: clone: operation not permitted" {
			t.Errorf("result %+v; want internal_error saying why", res)
		}
	})
	t.Run("run fails", func(t *testing.T) {
		boxes := &fakeBoxes{play: func(ctx context.Context, b *fakeBox, cmd sandbox.Cmd) (sandbox.Outcome, error) {
			return sandbox.Outcome{}, errors.New("init died")
		}}
		l := newFakeLocal(t, boxes)
		res, err := l.Run(context.Background(), source("interp", "main.interp", ""), nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != StatusInternalError || res.Message != "sandbox: run: init died" || res.Language != "interp" {
			t.Errorf("result %+v; want internal_error from the run", res)
		}
		if boxes.unhealthy != 1 || boxes.healthy != 0 {
			t.Errorf("sandbox given back healthy %d, unhealthy %d; want it closed, not reused", boxes.healthy, boxes.unhealthy)
		}
	})
	t.Run("canceled run is ctx's error", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		boxes := &fakeBoxes{play: func(ctx context.Context, b *fakeBox, cmd sandbox.Cmd) (sandbox.Outcome, error) {
			cancel()
			return sandbox.Outcome{}, errors.New("killed")
		}}
		l := newFakeLocal(t, boxes)
		if _, err := l.Run(ctx, source("interp", "main.interp", ""), nil); !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	})
}

func TestRequestErrorsBeforeAnySandbox(t *testing.T) {
	boxes := &fakeBoxes{getErr: errors.New("must not be asked")}
	l := newFakeLocal(t, boxes)
	for name, req := range map[string]Request{
		"unknown language": source("nope", "a", "x"),
		"no files":         {Language: "interp"},
		"limit too large":  {Language: "interp", Files: []File{{Name: "a"}}, Limits: Limits{CPUTimeMs: executor.MaxLimits().CPUTimeMs + 1}},
	} {
		if _, err := l.Run(context.Background(), req, nil); !executor.IsRequestError(err) {
			t.Errorf("%s: err = %v, want a RequestError", name, err)
		}
	}
}

func TestCapsAreTheExecutors(t *testing.T) {
	set, err := languages.LoadFS(testLanguages)
	if err != nil {
		t.Fatal(err)
	}
	var got Limits
	boxes := &fakeBoxes{play: func(ctx context.Context, b *fakeBox, cmd sandbox.Cmd) (sandbox.Outcome, error) {
		got = Limits{CPUTimeMs: cmd.Limits.CPUTime.Milliseconds(), MemoryBytes: cmd.Limits.Memory}
		return sandbox.Outcome{}, nil
	}}
	l, err := New(Options{Languages: set, Sandboxes: boxes, GoBuildCache: "off",
		Caps: Caps{Run: Limits{CPUTimeMs: 700}, Max: Limits{MemoryBytes: 64 << 20}}})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := l.Run(context.Background(), source("interp", "main.interp", ""), nil); err != nil {
		t.Fatal(err)
	}
	if got.CPUTimeMs != 700 {
		t.Errorf("CPU limit %d ms, want the executor's default of 700", got.CPUTimeMs)
	}
	req := source("interp", "main.interp", "")
	req.Limits.MemoryBytes = 128 << 20
	if _, err := l.Run(context.Background(), req, nil); !executor.IsRequestError(err) {
		t.Errorf("memory above the executor's cap: err = %v, want a RequestError", err)
	}
}
