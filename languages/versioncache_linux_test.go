//go:build linux

package languages

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"
	"time"
)

// The other tests count version commands per Set: they run without the disk cache.
func TestMain(m *testing.M) {
	versionCacheFile = ""
	os.Exit(m.Run())
}

// A new Set (a new process) takes the version from the disk cache; a changed program, or an
// answer older than versionTTL, is asked again.
func TestVersionDiskCache(t *testing.T) {
	versionCacheFile = filepath.Join(t.TempDir(), "sandrun", "versions.json")
	t.Cleanup(func() { versionCacheFile = "" })
	bin, calls := fakeToolchains(t, map[string]string{"fakev": `echo "fakev 1.2.3"`})
	defs := fstest.MapFS{"fakev.toml": {Data: []byte(fakeDef("fakev", bin, "fakev", `["fakev", "--version"]`, ""))}}
	detect := func() string {
		t.Helper()
		s, err := LoadFS(defs)
		if err != nil {
			t.Fatal(err)
		}
		return s.Toolchain(context.Background(), "fakev").Version
	}
	if v := detect(); v != "fakev 1.2.3" {
		t.Fatalf("version %q", v)
	}
	if v := detect(); v != "fakev 1.2.3" || countCalls(t, calls)["fakev"] != 1 {
		t.Fatalf("second Set: version %q after %d version commands, want 1", v, countCalls(t, calls)["fakev"])
	}
	fi, err := os.Stat(versionCacheFile)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("cache file: %v %v, want mode 0600", fi, err)
	}
	// A reinstalled program (new contents, new times) is asked again.
	prog := filepath.Join(bin, "fakev")
	if err := os.WriteFile(prog, []byte("#!/bin/sh\necho fakev >> "+calls+"\necho 'fakev 2.0.0'\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(2 * time.Second)
	if err := os.Chtimes(prog, later, later); err != nil {
		t.Fatal(err)
	}
	if v := detect(); v != "fakev 2.0.0" || countCalls(t, calls)["fakev"] != 2 {
		t.Fatalf("after reinstall: version %q after %d version commands, want 2", v, countCalls(t, calls)["fakev"])
	}
	// An old answer is not used.
	entries := readVersionCache()
	for k, e := range entries {
		e.At = e.At.Add(-versionTTL)
		entries[k] = e
	}
	writeVersionCache(entries)
	detect()
	if n := countCalls(t, calls)["fakev"]; n != 3 {
		t.Fatalf("an expired answer: %d version commands, want 3", n)
	}
}
