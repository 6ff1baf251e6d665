//go:build linux

package sandbox

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// writeTree makes files (path relative to dir: content) and dirs (paths ending in "/").
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, data := range files {
		full := filepath.Join(dir, p)
		if strings.HasSuffix(p, "/") {
			if err := os.MkdirAll(full, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(data), 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

// The walk finds credential files below the top, by name and by the dir they are in, never
// through a link, and not past its depth.
func TestScanCredentials(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"lib/node_modules/@scope/pkg/.npmrc":        "x",
		"lib/node_modules/pkg/index.js":             "x",
		"lib/node_modules/aws/lib/credentials/a.js": "x", // a library's dir, not a credential
		"home/.m2/settings.xml":                     "x",
		"share/maven/conf/settings.xml":             "x", // Maven's own, not a user's
		"home/.gradle/gradle.properties":            "x",
		"home/.config/pip/pip.conf":                 "x",
		"home/.config/gh/hosts.yml":                 "x",
		"home/.kube/config":                         "x",
		"home/.ssh/":                                "",
		"a/b/c/d/e/f/g/.netrc":                      "x", // deeper than the walk goes
		".npmrc":                                    "x", // the top: maskCredentials' own
	})
	outside := t.TempDir()
	writeTree(t, outside, map[string]string{"deep/.git-credentials": "x"})
	if err := os.Symlink(outside, filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	got := scanCredentials(dir, "root", credScanDepth, credScanEntries)
	slices.Sort(got)
	want := []string{"home/.config/gh/hosts.yml", "home/.config/pip/pip.conf", "home/.gradle/gradle.properties",
		"home/.kube", "home/.m2/settings.xml", "home/.ssh", "lib/node_modules/@scope/pkg/.npmrc"}
	if !slices.Equal(got, want) {
		t.Errorf("found\n%q\nwant\n%q", got, want)
	}
	// The top's name counts as the parent of its entries; the cap on entries ends the walk.
	if got := scanCredentials(filepath.Join(dir, "home/.m2"), ".m2", credScanDepth, credScanEntries); !slices.Equal(got, []string{"settings.xml"}) {
		t.Errorf("a bound .m2: found %q", got)
	}
	if got := scanCredentials(dir, "root", credScanDepth, 3); len(got) != 0 {
		t.Errorf("3 entries at most: found %q", got)
	}
}

// A credential file deep in a bound toolchain dir is masked, and the toolchain still works.
func TestNestedCredentialFilesMasked(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"lib/node_modules/pkg/.npmrc": "//registry.npmjs.org/:_authToken=npm-secret\n",
		"lib/node_modules/pkg/ok.txt": "readable\n",
		"home/.m2/settings.xml":       "<password>maven-secret</password>\n",
		"home/.config/pip/pip.conf":   "[global]\nindex-url = https://u:pip-secret@example.com/simple\n",
		"home/.ssh/id_ed25519":        "ssh-secret\n",
		"bin/tool":                    "#!/bin/sh\necho tool ran\n",
	})
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	s := newSandbox(t, Config{Binds: []Bind{{Source: dir, Target: "/opt/toolchain"}}})
	r := run(t, s, Cmd{Args: sh(`cd /opt/toolchain && bin/tool && cat lib/node_modules/pkg/ok.txt lib/node_modules/pkg/.npmrc home/.m2/settings.xml home/.config/pip/pip.conf home/.ssh/id_ed25519 2>&1; echo ssh: $(ls -A home/.ssh); echo end`)})
	if !strings.HasPrefix(r.stdout, "tool ran\nreadable\n") || !strings.HasSuffix(r.stdout, "end\n") {
		t.Fatalf("got %q (stderr %q)", r.stdout, r.stderr)
	}
	if strings.Contains(r.stdout, "secret") || !strings.Contains(r.stdout, "\nssh:\n") {
		t.Errorf("a nested credential file reached the sandbox:\n%s", r.stdout)
	}
}

// However many credential files a toolchain holds, the paths sent to the init fit its control
// messages.
func TestCredentialMasksBounded(t *testing.T) {
	dir := t.TempDir()
	for i := 0; i < 2000; i++ {
		writeTree(t, dir, map[string]string{filepath.Join("pkgs", strings.Repeat("p", 40)+string(rune('a'+i%26))+strings.Repeat("q", i/26), ".npmrc"): "x"})
	}
	masks := credentialMasks([]Bind{{Source: dir, Target: "/opt/many"}})
	size := 0
	for _, m := range masks {
		size += len(m) + 3 // quotes and a comma: no escapes in these names
	}
	if size > credMaskBytes || len(masks) < 100 {
		t.Errorf("%d masks, %d bytes: want at least 100, at most %d bytes", len(masks), size, credMaskBytes)
	}
}

// A walk's answer is kept, in memory and on disk for the next process, while the dir's mtime
// stays; a new mtime walks again.
func TestScanCached(t *testing.T) {
	saved := credCacheFile
	credCacheFile = filepath.Join(t.TempDir(), "credscan.json")
	defer func() { credCacheFile = saved }()
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"a/.netrc": "x"})
	then := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := os.Chtimes(dir, then, then); err != nil {
		t.Fatal(err)
	}
	forget := func() {
		credCache.Lock()
		clear(credCache.m)
		credCache.Unlock()
	}
	forget()
	if got := scanCached(dir, "d"); !slices.Equal(got, []string{"a/.netrc"}) {
		t.Fatalf("first walk: %q", got)
	}
	writeTree(t, dir, map[string]string{"b/.pgpass": "x"})
	if err := os.Chtimes(dir, then, then); err != nil {
		t.Fatal(err)
	}
	if got := scanCached(dir, "d"); !slices.Equal(got, []string{"a/.netrc"}) {
		t.Errorf("same mtime, from memory: %q", got)
	}
	forget()
	if got := scanCached(dir, "d"); !slices.Equal(got, []string{"a/.netrc"}) {
		t.Errorf("same mtime, from disk: %q", got)
	}
	later := then.Add(time.Second)
	if err := os.Chtimes(dir, later, later); err != nil {
		t.Fatal(err)
	}
	got := scanCached(dir, "d")
	slices.Sort(got)
	if !slices.Equal(got, []string{"a/.netrc", "b/.pgpass"}) {
		t.Errorf("new mtime: %q", got)
	}
}
