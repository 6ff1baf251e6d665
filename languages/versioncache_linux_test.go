//go:build linux

package languages

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
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

// readVersionEntry, which decodes one entry, finds what readVersionCache finds, and nothing in
// a file cut short.
func TestReadVersionEntry(t *testing.T) {
	versionCacheFile = filepath.Join(t.TempDir(), "sandrun", "versions.json")
	t.Cleanup(func() { versionCacheFile = "" })
	at := time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)
	entries := map[string]versionEntry{
		"aa": {Version: `1.0 "quoted" \"bb\":`, At: at}, "bb": {Version: "2.0", At: at.Add(time.Second)},
		"cc": {Version: "", At: at},
	}
	writeVersionCache(entries)
	for k, want := range entries {
		if got, ok := readVersionEntry(k); !ok || !got.At.Equal(want.At) || got.Version != want.Version {
			t.Errorf("readVersionEntry(%q) = %+v, %v; want %+v", k, got, ok, want)
		}
	}
	for _, k := range []string{"a", "dd", "version", ""} {
		if e, ok := readVersionEntry(k); ok {
			t.Errorf("readVersionEntry(%q) = %+v; want none", k, e)
		}
	}
	data, err := os.ReadFile(versionCacheFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(versionCacheFile, data[:len(data)-1], 0o600); err != nil {
		t.Fatal(err)
	}
	if e, ok := readVersionEntry("bb"); ok || len(readVersionCache()) != 0 {
		t.Errorf("a truncated file: readVersionEntry = %+v, %v; readVersionCache = %v; want nothing", e, ok, readVersionCache())
	}
}

// BenchmarkVersionCacheHit is the kept answer a new process reads for its language before its
// first run, from a file holding one per runtime.
func BenchmarkVersionCacheHit(b *testing.B) {
	versionCacheFile = filepath.Join(b.TempDir(), "sandrun", "versions.json")
	b.Cleanup(func() { versionCacheFile = "" })
	entries := map[string]versionEntry{}
	for i := range 83 {
		entries[fmt.Sprintf("%064x", i)] = versionEntry{Version: "3.11." + strconv.Itoa(i), At: time.Now()}
	}
	writeVersionCache(entries)
	key := fmt.Sprintf("%064x", 42)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if e, ok := readVersionEntry(key); !ok || e.Version != "3.11.42" {
			b.Fatalf("got %+v, %v", e, ok)
		}
	}
}
