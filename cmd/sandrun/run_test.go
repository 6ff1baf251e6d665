package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sandrun/sandrun/executor"
)

func TestParseBytes(t *testing.T) {
	for in, want := range map[string]int64{"256MiB": 256 << 20, "1GiB": 1 << 30, "512K": 512 << 10, "4096": 4096, "1.5M": 3 << 19, "10MB": 10e6} {
		got, err := parseBytes(in)
		if err != nil || got != want {
			t.Errorf("parseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "lots", "-1M", "12XB"} {
		if _, err := parseBytes(bad); err == nil {
			t.Errorf("parseBytes(%q) succeeded, want an error", bad)
		}
	}
}

func TestParseInterleaved(t *testing.T) {
	var f runFlags
	fs := newFlagSet("run")
	f.register(fs)
	pos, pass, err := parseInterleaved(fs, "usage", []string{"--lang", "py", "hello.py", "--json", "--", "a", "--json"})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"hello.py"}, pos); d != "" {
		t.Errorf("positional (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"a", "--json"}, pass); d != "" {
		t.Errorf("passthrough (-want +got):\n%s", d)
	}
	if !f.json || f.lang != "py" {
		t.Errorf("flags = %+v, want json and lang py", f)
	}
}

func TestExitCode(t *testing.T) {
	tests := []struct {
		r    executor.Result
		want int
	}{
		{executor.Result{Status: executor.StatusOK}, 0},
		{executor.Result{Status: executor.StatusRuntimeError, ExitCode: 3}, 3},
		{executor.Result{Status: executor.StatusSignaled, Signal: "SIGSEGV", ExitCode: -1}, 139},
		{executor.Result{Status: executor.StatusTimeLimit, Signal: "SIGKILL"}, 137},
		{executor.Result{Status: executor.StatusCompileError}, 1},
		{executor.Result{Status: executor.StatusMemoryLimit, ExitCode: 1}, 1},
		{executor.Result{Status: executor.StatusOutputLimit, ExitCode: -1}, 137},
		{executor.Result{Status: executor.StatusInternalError}, 125},
	}
	for _, tt := range tests {
		if got := exitCode(tt.r); got != tt.want {
			t.Errorf("exitCode(%s) = %d, want %d", tt.r.Status, got, tt.want)
		}
	}
}

// TestRunRuntime: --runtime, an alias and a #! line pick a runtime; an unknown one is a usage
// error that lists the language's runtimes.
func TestRunRuntime(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	c := write("main.c", "int main(void) { return 0; }\n")
	py := write("main.py", "print(1)\n")
	sheb := write("tool", "#!/usr/bin/env bun\nconsole.log(1)\n")
	tests := []struct {
		args          []string
		lang, runtime string
	}{
		{[]string{c}, "c", ""},
		{[]string{"--runtime", "clang", c}, "c", "clang"},
		{[]string{"--lang", "pypy", py}, "python", "pypy"},
		{[]string{"--lang", "pypy", "--runtime", "cpython", py}, "python", "cpython"},
		{[]string{sheb}, "javascript", "bun"},
	}
	for _, tt := range tests {
		inv, err := parseRunInvocation("run", "", tt.args, nil)
		if err != nil {
			t.Errorf("%v: %v", tt.args, err)
			continue
		}
		if inv.req.Language != tt.lang || inv.req.Runtime != tt.runtime {
			t.Errorf("%v: language %q runtime %q, want %q %q", tt.args, inv.req.Language, inv.req.Runtime, tt.lang, tt.runtime)
		}
	}
	_, err := parseRunInvocation("run", "", []string{"--runtime", "msvc", c}, nil)
	if err == nil || !strings.Contains(err.Error(), `c has no runtime "msvc"; its runtimes: gcc, clang, tcc`) {
		t.Errorf("--runtime msvc: %v", err)
	}
}

// TestOutputLimitHint: a wrong --output-limit is explained with output-sized examples, not the
// memory sizes --memory-limit gives.
func TestOutputLimitHint(t *testing.T) {
	for _, arg := range []string{"0", "xyz"} {
		_, stderr, code := sandrunCLI(t, "", "run", "--output-limit", arg, "-")
		if code != 2 || !strings.Contains(stderr, "write it like 64KiB or 20MiB") || strings.Contains(stderr, "256MiB") {
			t.Errorf("--output-limit %s: exit %d, stderr %q", arg, code, stderr)
		}
	}
	if _, stderr, _ := sandrunCLI(t, "", "run", "--memory-limit", "0", "-"); !strings.Contains(stderr, "write it like 256MiB or 1GiB") {
		t.Errorf("--memory-limit 0: stderr %q", stderr)
	}
}
