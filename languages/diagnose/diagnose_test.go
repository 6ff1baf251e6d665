package diagnose_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/sandrun/sandrun/languages"
	"github.com/sandrun/sandrun/languages/diagnose"
)

var update = flag.Bool("update", false, "rewrite testdata/diagnostics/*/want.json from what Find returns")

// corpus is testdata/diagnostics: one folder per case, LANG-WHAT, holding the source, the
// output the real toolchain printed for it (output.json, from capture.sh) and the diagnostics
// Find must return (want.json).
const corpus = "../../testdata/diagnostics"

type captured struct {
	Language string `json:"language"`
	Status   string `json:"status"`
	Compile  *struct {
		Stdout string `json:"stdout"`
		Stderr string `json:"stderr"`
	} `json:"compile"`
	Stdout string `json:"stdout"`
	Stderr string `json:"stderr"`
}

// TestCaptured runs every language's matchers over the output its real toolchain printed.
func TestCaptured(t *testing.T) {
	set, err := languages.Load()
	if err != nil {
		t.Fatal(err)
	}
	dirs, err := os.ReadDir(corpus)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		n++
		t.Run(d.Name(), func(t *testing.T) {
			dir := filepath.Join(corpus, d.Name())
			lang, ok := set.Lookup(strings.SplitN(d.Name(), "-", 2)[0])
			if !ok {
				t.Fatalf("no language for case %s", d.Name())
			}
			var out captured
			readJSON(t, filepath.Join(dir, "output.json"), &out)
			var outs []diagnose.Output
			if out.Compile != nil {
				outs = append(outs, diagnose.Output{Stage: "compile", Stdout: out.Compile.Stdout, Stderr: out.Compile.Stderr})
			}
			outs = append(outs, diagnose.Output{Stage: "run", Stdout: out.Stdout, Stderr: out.Stderr})
			src, err := os.ReadFile(filepath.Join(dir, lang.SourceFile))
			if err != nil {
				t.Fatal(err)
			}
			got := diagnose.Find(lang, []diagnose.File{{Name: lang.SourceFile, Content: src}}, outs...)
			wantFile := filepath.Join(dir, "want.json")
			if *update {
				data, _ := json.MarshalIndent(got, "", "  ")
				if err := os.WriteFile(wantFile, append(data, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			var want []diagnose.Diagnostic
			readJSON(t, wantFile, &want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Find (-want +got):\n%s", diff)
			}
			// The executor finds each output's problems on its own and merges them.
			var parts [][]diagnose.Diagnostic
			for _, o := range outs {
				parts = append(parts, diagnose.Find(lang, []diagnose.File{{Name: lang.SourceFile, Content: src}}, o))
			}
			if diff := cmp.Diff(got, diagnose.Merge(parts...)); diff != "" {
				t.Errorf("Merge of each output's Find differs from one Find (-find +merge):\n%s", diff)
			}
		})
	}
	if n < 30 {
		t.Errorf("only %d captured cases", n)
	}
}

func readJSON(t *testing.T, file string, v any) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
}

// TestFindRules checks what the captured cases cannot show: the stage a matcher belongs to,
// de-duplication, the cap, and positions from the less common groups.
func TestFindRules(t *testing.T) {
	lang := define(t, `
[[matcher]]
stage = "compile"
pattern = '''(?m)^(?P<file>[^:\n]+):(?P<line>\d+):(?P<column0>\d+)-(?P<end_column0>\d+): (?P<message>.*)'''

[[matcher]]
stage = "run"
pattern = '''(?m)^(?P<file>[^:\n]+):(?P<line>\d+): (?P<message>.*)\n(?P<caret> *)(?P<underline>\^~*)'''
`)
	out := diagnose.Find(lang, []diagnose.File{{Name: "main.x"}},
		diagnose.Output{Stage: "compile", Stderr: "main.x:3:4-9: bad\nmain.x:3:4-9: bad\nother.x:1:0-1: elsewhere\n"},
		diagnose.Output{Stage: "run", Stderr: "main.x:7: boom\n    ^~~\n", Stdout: "main.x:1:0-1: not a run-stage pattern\n"},
	)
	want := []diagnose.Diagnostic{
		{File: "main.x", Line: 3, Column: 5, EndLine: 3, EndColumn: 10, Severity: "error", Message: "bad", Source: "cc"},
		{File: "main.x", Line: 7, Column: 5, EndLine: 7, EndColumn: 8, Severity: "error", Message: "boom", Source: "x"},
	}
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("Find (-want +got):\n%s", diff)
	}
	var many strings.Builder
	for i := 1; i <= 500; i++ {
		fmt.Fprintf(&many, "main.x:%d:0-1: e\n", i)
	}
	if n := len(diagnose.Find(lang, []diagnose.File{{Name: "main.x"}}, diagnose.Output{Stage: "compile", Stderr: many.String()})); n != 200 {
		t.Errorf("500 errors gave %d diagnostics, want the cap of 200", n)
	}
	// A long output is read at its two ends only: the first error and a traceback at the end.
	long := "main.x:1:0-1: first\n" + strings.Repeat("noise\n", 100_000) + "main.x:2:0-1: middle\n" + strings.Repeat("noise\n", 100_000) + "main.x:3:0-1: last\n"
	var lines []int
	for _, d := range diagnose.Find(lang, []diagnose.File{{Name: "main.x"}}, diagnose.Output{Stage: "compile", Stderr: long}) {
		lines = append(lines, d.Line)
	}
	if diff := cmp.Diff([]int{1, 3}, lines); diff != "" {
		t.Errorf("long output: lines (-want +got):\n%s", diff)
	}
	if got := diagnose.Find(lang, nil); got == nil || len(got) != 0 {
		t.Errorf("no output: %#v, want an empty, non-nil list", got)
	}
}

// define loads one definition with the given matchers (a compiled language "x" run by "./{stem}").
func define(t *testing.T, matchers string) *languages.Language {
	t.Helper()
	def := `id = "x"
name = "X"
extensions = [".x"]
source_file = "main.x"
compile = ["cc", "{file}"]
run = ["./{stem}"]
version = ["cc", "--version"]
package = "none"
hello = "hi"
` + matchers
	set, err := languages.LoadFS(fstest.MapFS{"x.toml": {Data: []byte(def)}})
	if err != nil {
		t.Fatal(err)
	}
	l, _ := set.Lookup("x")
	return l
}

func TestMatcherValidation(t *testing.T) {
	for _, tt := range []struct{ toml, want string }{
		{"[[matcher]]\nstage = \"link\"\npattern = '(?P<file>x)(?P<line>1)'", `stage "link"`},
		{"[[matcher]]\nstage = \"run\"\npattern = '(?P<file>x)'", `group named "line"`},
		{"[[matcher]]\nstage = \"run\"\npattern = '(?P<file>x)(?P<line>1)(?P<lnie>2)'", `unknown group name "lnie"`},
		{"[[matcher]]\nstage = \"run\"\npattern = '(?P<message>x)'\nframe = '(?P<file>x)(?P<line>1)'", `group named "frames"`},
		{"[[matcher]]\nstage = \"run\"\npattern = '(?P<file>x)(?P<line>1)('", "missing closing )"},
		{"[[matcher]]\nstage = \"run\"\npattern = '(?P<file>x)(?P<line>1)'\ninnermost = \"middle\"", `innermost "middle"`},
	} {
		def := "id = \"x\"\nname = \"X\"\nsource_file = \"main.x\"\nrun = [\"x\", \"{file}\"]\nversion = [\"x\"]\npackage = \"none\"\nhello = \"hi\"\n" + tt.toml
		_, err := languages.LoadFS(fstest.MapFS{"x.toml": {Data: []byte(def)}})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s\n: error %v, want one saying %s", tt.toml, err, tt.want)
		}
	}
}

// TestMerge: a problem found in two outputs (same file, line and message) is kept once, in the
// place it first came, and the whole answer holds at most 200, as Find's does.
func TestMerge(t *testing.T) {
	d := func(line int, msg string) diagnose.Diagnostic {
		return diagnose.Diagnostic{File: "main.c", Line: line, Message: msg, Severity: diagnose.Error}
	}
	got := diagnose.Merge([]diagnose.Diagnostic{d(1, "a"), d(2, "b")}, nil, []diagnose.Diagnostic{d(2, "b"), d(2, "c")})
	if diff := cmp.Diff([]diagnose.Diagnostic{d(1, "a"), d(2, "b"), d(2, "c")}, got); diff != "" {
		t.Errorf("Merge (-want +got):\n%s", diff)
	}
	if got := diagnose.Merge(); got == nil || len(got) != 0 {
		t.Errorf("Merge() = %#v, want an empty list", got)
	}
	var many [][]diagnose.Diagnostic
	for i := range 3 {
		var l []diagnose.Diagnostic
		for j := range 100 {
			l = append(l, d(i*100+j+1, "x"))
		}
		many = append(many, l)
	}
	if got := diagnose.Merge(many...); len(got) != 200 || got[199].Line != 200 {
		t.Errorf("Merge of 300 problems: %d, the last on line %d; want the first 200", len(got), got[len(got)-1].Line)
	}
}
