package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sandrun/sandrun/executor"
)

// TestRunCompileCache: a second `sandrun run --json` of an unchanged C++ program (a new process
// each time) takes the compile from the cache under the user's cache dir and says so.
func TestRunCompileCache(t *testing.T) {
	if _, err := exec.LookPath("g++"); err != nil {
		t.Skip("g++ is not installed here")
	}
	home := t.TempDir()
	src := filepath.Join(t.TempDir(), "main.cpp")
	if err := os.WriteFile(src, []byte("#include <cstdio>\nint main() { std::puts(\"cached?\"); }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (executor.Result, string, int) {
		t.Helper()
		cmd := exec.Command(os.Args[0], append([]string{"run", "--json"}, args...)...)
		cmd.Env = append(os.Environ(), "SANDRUN_CLI_TEST=1", "XDG_CACHE_HOME="+home)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		code := cmd.ProcessState.ExitCode()
		if err != nil && code < 0 {
			t.Fatal(err)
		}
		var r executor.Result
		if code == 0 {
			if err := json.Unmarshal(out.Bytes(), &r); err != nil {
				t.Fatalf("%v: %s", err, out.String())
			}
		}
		return r, errb.String(), code
	}
	for _, tt := range []struct {
		name       string
		args       []string
		wantCached bool
	}{
		{"first", []string{src}, false},
		{"second", []string{src}, true},
		{"turned off", []string{"--no-compile-cache", src}, false},
		{"other dir", []string{"--compile-cache-dir", filepath.Join(home, "elsewhere"), src}, false},
		{"other dir again", []string{"--compile-cache-dir", filepath.Join(home, "elsewhere"), src}, true},
	} {
		r, stderr, code := run(tt.args...)
		if code != 0 || r.Status != executor.StatusOK || r.Stdout != "cached?\n" || r.Compile == nil || r.Compile.Cached != tt.wantCached {
			t.Errorf("%s: exit %d, status %s, stdout %q, compile %+v, stderr %q; want cached %v", tt.name, code, r.Status, r.Stdout, r.Compile, stderr, tt.wantCached)
		}
	}
	if _, err := os.Stat(filepath.Join(home, "sandrun", "compile", "secret")); err != nil {
		t.Errorf("no cache under the user's cache dir: %v", err)
	}
	open := filepath.Join(home, "open")
	os.Mkdir(open, 0o777)
	os.Chmod(open, 0o777)
	if _, stderr, code := run("--compile-cache-dir", open, src); code != 2 || !strings.Contains(stderr, "others may write") {
		t.Errorf("a cache dir open to others: exit %d, stderr %q; want exit 2 and a sentence saying why", code, stderr)
	}
}
