package diagnose_test

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
			got := diagnose.Find(lang, []string{lang.SourceFile}, outs...)
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
