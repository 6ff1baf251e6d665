package archtest

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/sandrun/sandrun/"

// forbidden maps a package to the packages (of this module) it must not depend on, directly or
// not: the front ends and the transport know the executor contract, never the sandbox.
var forbidden = map[string][]string{
	"executor":              {"executor/sandbox", "executor/local", "executor/remote", "executor/spec"},
	"executor/executortest": {"executor/sandbox", "executor/local"},
	"executor/remote":       {"executor/sandbox", "executor/sandbox/seccomp", "executor/local", "executor/spec"},
	"executor/fleet":        {"executor/sandbox", "executor/sandbox/seccomp", "executor/local"},
	"lsp":                   {"executor/sandbox", "executor/sandbox/seccomp", "executor/local", "executor/spec", "executor/remote"},
	"web":                   {"executor/sandbox", "executor/sandbox/seccomp", "executor/local", "executor/spec"},
	"languages":             {"executor"},
	"languages/gocache":     {"executor", "executor/sandbox"},
	"executor/compilecache": {"executor"},
	"internal/future":       {"executor"},
}

func TestImportRules(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Fatalf("the go command is needed to list imports: %v", err)
	}
	for pkg, bad := range forbidden {
		out, err := exec.Command("go", "list", "-deps", module+pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v: %s", pkg, err, out)
		}
		deps := map[string]bool{}
		for _, d := range strings.Fields(string(out)) {
			deps[strings.TrimPrefix(d, module)] = true
		}
		for _, b := range bad {
			if deps[b] {
				t.Errorf("%s depends on %s; see docs/architecture.md for what each package may import", pkg, b)
			}
		}
	}
}

// TestNoOutsideCitations: code and docs cite the repository's own docs, never a document a
// reader of the repository does not have.
func TestNoOutsideCitations(t *testing.T) {
	root := filepath.Join("..", "..")
	banned := []string{"DESIGN" + ".md", "../" + "shared"} // spelled apart so this file passes
	skip := map[string]bool{".git": true, "node_modules": true, "bin": true, "out": true}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if skip[d.Name()] {
				return filepath.SkipDir
			}
			return nil
		}
		if fi, err := d.Info(); err != nil || !fi.Mode().IsRegular() || fi.Size() > 4<<20 {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, b := range banned {
			if bytes.Contains(data, []byte(b)) {
				rel, _ := filepath.Rel(root, p)
				t.Errorf("%s names %s, which is not in the repository: cite docs/architecture.md (or another page of docs/)", rel, b)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
