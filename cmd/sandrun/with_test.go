package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/languages"
)

// TestRunWith: --with puts more files in the sandbox beside FILE, named as they are relative to
// FILE's directory, so a script that imports a module or reads a data file beside it runs as it
// does on the host; files from elsewhere are refused with a sentence naming the flag (exit 2).
func TestRunWith(t *testing.T) {
	requireSandbox(t)
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	main := write("main.py", "import util\nprint(util.greet(), open('data/in.txt').read().strip())\n")
	util := write("util.py", "def greet(): return 'hi from util'\n")
	data := write("data/in.txt", "and data\n")

	if _, stderr, code := sandrunCLI(t, "", "run", main); code != 1 || !strings.Contains(stderr, "No module named 'util'") {
		t.Fatalf("without --with: exit %d stderr %q; want the program's ModuleNotFoundError (only FILE goes in)", code, stderr)
	}
	stdout, stderr, code := sandrunCLI(t, "", "run", "--with", util, main, "--with", data)
	if code != 0 || stdout != "hi from util and data\n" {
		t.Fatalf("--with util.py --with data/in.txt: exit %d stdout %q stderr %q; want 0 and both read", code, stdout, stderr)
	}
	outside := filepath.Join(t.TempDir(), "other.py")
	os.WriteFile(outside, []byte("x = 1\n"), 0o644)
	big := write("big.bin", "")
	if err := os.Truncate(big, executor.MaxSourceSize+1); err != nil { // sparse: never read
		t.Fatal(err)
	}
	for _, tc := range []struct {
		with, want string
	}{
		{outside, "is not under"},
		{filepath.Join(dir, "nosuch.py"), "no such file"},
		{filepath.Join(dir, "data"), "is a directory"},
		{main, "is already in the sandbox as main.py"},
		{big, "; the files sent together may be at most 16 MiB"},
	} {
		_, stderr, code := sandrunCLI(t, "", "run", "--with", tc.with, main)
		if code != 2 || !strings.HasPrefix(stderr, "sandrun run: --with "+tc.with) || !strings.Contains(stderr, tc.want) {
			t.Errorf("--with %s: exit %d stderr %q; want exit 2 and a sentence naming --with, saying %q", tc.with, code, stderr, tc.want)
		}
	}
}

// withExec is a fake executor that prints the last file of each run (a --with file).
type withExec struct{ echoExec }

func (e withExec) Run(ctx context.Context, req executor.Request, onEvent func(executor.Event)) (executor.Result, error) {
	last := string(req.Files[len(req.Files)-1].Content)
	onEvent(executor.Event{Stage: executor.StageRun, Stream: executor.Stdout, Data: []byte(last)})
	return executor.Result{Status: executor.StatusOK, Stdout: last}, nil
}

// TestWatchWith: `sandrun watch --with` sends the --with files with every run, read anew, and
// a save of one of them runs the program again as a save of FILE does.
func TestWatchWith(t *testing.T) {
	set, err := languages.Load()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file, util := filepath.Join(dir, "w.py"), filepath.Join(dir, "util.py")
	os.WriteFile(file, []byte("import util\n"), 0o644)
	os.WriteFile(util, []byte("one\n"), 0o644)
	var stdout, stderr syncBuffer
	w := &watcher{ex: withExec{}, set: set, file: file, with: []string{util}, stdout: &stdout, stderr: &stderr}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.watch(ctx, 30*time.Millisecond) }()
	waitFor(t, &stderr, "watching "+file)
	if err := os.WriteFile(util, []byte("two\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, &stderr, "run 2")
	waitFor(t, &stdout, "one\ntwo\n")
	cancel()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("watch did not end after its context was cancelled")
	}
}

// TestRunWithLinksSources: a C program split in files compiles as one: FILE and each --with
// file with its extension are given to the compiler together ({sources}), as the HTTP API's
// files are, so a function defined in util.c links.
func TestRunWithLinksSources(t *testing.T) {
	requireSandbox(t)
	dir := t.TempDir()
	main := filepath.Join(dir, "main.c")
	os.WriteFile(main, []byte("#include <stdio.h>\n#include \"util.h\"\nint main(void) { printf(\"%d\\n\", add(2, 3)); return 0; }\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "util.h"), []byte("int add(int a, int b);\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "util.c"), []byte("#include \"util.h\"\nint add(int a, int b) { return a + b; }\n"), 0o644)
	stdout, stderr, code := sandrunCLI(t, "", "run", main, "--with", filepath.Join(dir, "util.h"), "--with", filepath.Join(dir, "util.c"))
	if code != 0 || stdout != "5\n" {
		t.Fatalf("main.c --with util.h --with util.c: exit %d stdout %q stderr %q; want 0 and 5", code, stdout, stderr)
	}
}
