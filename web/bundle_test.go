package web

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// uiSourceHash hashes every file under dir (web/ui) but node_modules, exactly as sourceHash in
// web/ui/build.mjs does: for each file, sorted by slash-separated path, the line
// "<path> <hex sha256 of content>\n"; then the sha256 of those lines.
func uiSourceHash(dir string) (string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "node_modules" {
			return filepath.SkipDir
		}
		if d.Type().IsRegular() {
			rel, err := filepath.Rel(dir, p)
			if err != nil {
				return err
			}
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	sort.Strings(files)
	h := sha256.New()
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f)))
		if err != nil {
			return "", err
		}
		sum := sha256.Sum256(data)
		fmt.Fprintf(h, "%s %s\n", f, hex.EncodeToString(sum[:]))
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// TestBundleFresh fails when web/ui changed after web/static was last built: the page served
// would not be the page in the source. It needs no Node; `make web-check` also rebuilds and diffs.
func TestBundleFresh(t *testing.T) {
	want, err := uiSourceHash("ui")
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join("static", "build.json"))
	if err != nil {
		t.Fatalf("web/static has no build.json: run `make web` and commit web/static: %v", err)
	}
	var build struct {
		SourceSHA256 string `json:"source_sha256"`
	}
	if err := json.Unmarshal(data, &build); err != nil {
		t.Fatalf("web/static/build.json: %v", err)
	}
	if build.SourceSHA256 != want {
		t.Errorf("web/static is stale: web/ui changed since the bundle was built (source hash %s, bundle built from %s); run `make web` and commit web/static", want, build.SourceSHA256)
	}
}

// TestBundleComplete checks that the embedded page has the elements outside tests drive
// (docs/architecture.md) and that every file the page and its scripts load is embedded.
func TestBundleComplete(t *testing.T) {
	files := StaticFS()
	index, err := fs.ReadFile(files, "index.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"language-select", "editor", "stdin", "run-button", "output", "status"} {
		if !strings.Contains(string(index), fmt.Sprintf("data-testid=%q", id)) {
			t.Errorf("index.html lacks data-testid=%q", id)
		}
	}
	// Assets named by the page (href/src, query stripped) and chunks named by the scripts.
	refs := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?:href|src)="([^"?#:]+)`).FindAllStringSubmatch(string(index), -1) {
		refs[m[1]] = true
	}
	scripts, err := fs.Glob(files, "*.js")
	if err != nil {
		t.Fatal(err)
	}
	chunks, _ := fs.Glob(files, "chunks/*.js")
	chunkRef := regexp.MustCompile(`"\./(?:chunks/)?([A-Za-z0-9_-]+\.js)"`)
	for _, name := range append(scripts, chunks...) {
		js, err := fs.ReadFile(files, name)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range chunkRef.FindAllStringSubmatch(string(js), -1) {
			refs["chunks/"+m[1]] = true
		}
	}
	for _, want := range []string{"app.js", "style.css", "theme.js", "favicon.svg"} {
		if !refs[want] {
			t.Errorf("index.html does not load %s", want)
		}
	}
	if len(refs) < 6 {
		t.Errorf("found only %d referenced files (%v): the reference patterns no longer match the bundle", len(refs), refs)
	}
	for ref := range refs {
		if _, err := fs.Stat(files, ref); err != nil {
			t.Errorf("the page loads %s, which is not embedded: %v", ref, err)
		}
	}
}
