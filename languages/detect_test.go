package languages

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fakeToolchains writes executables into a fresh bin dir: each prints its body's output. Every
// run of one appends a line to dir/calls, so a test can count version commands.
func fakeToolchains(t *testing.T, scripts map[string]string) (bin, calls string) {
	t.Helper()
	dir := t.TempDir()
	bin = filepath.Join(dir, "bin")
	calls = filepath.Join(dir, "calls")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range scripts {
		script := fmt.Sprintf("#!/bin/sh\necho %s >> %s\n%s\n", name, calls, body)
		if err := os.WriteFile(filepath.Join(bin, name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// A file without the executable bit is not a toolchain.
	if err := os.WriteFile(filepath.Join(bin, "noexec"), []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return bin, calls
}

func fakeDef(id, bin, run, version, versionRegex string, compile ...string) string {
	def := fmt.Sprintf(`id = %q
name = "Fake %s"
extensions = [".%s"]
source_file = "main.%s"
run = [%q, "{file}"]
version = %s
package = "apt-get install %s-tools"
hello = "hi"
env = ["PATH=%s:$PATH"]
`, id, id, id, id, run, version, id, bin)
	if versionRegex != "" {
		def += fmt.Sprintf("version_regex = %q\n", versionRegex)
	}
	if len(compile) > 0 {
		def += fmt.Sprintf("compile = [%q, \"{file}\"]\n", compile[0])
	}
	return def
}

func countCalls(t *testing.T, calls string) map[string]int {
	t.Helper()
	data, err := os.ReadFile(calls)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	n := map[string]int{}
	for _, line := range strings.Fields(string(data)) {
		n[line]++
	}
	return n
}

func TestDetectFakePath(t *testing.T) {
	bin, calls := fakeToolchains(t, map[string]string{
		"fakec":   `echo "fakec (Fake) 4.5.6"`,
		"fakerun": `echo "Runner v1.2"; echo "warning: noise" >&2`,
		"broken":  `echo "error: no default toolchain configured" >&2; exit 1`,
		"slow":    `sleep 0.2; echo "slow 9"`,
	})
	fsys := fstest.MapFS{
		"comp.toml":    {Data: []byte(fakeDef("comp", bin, "./{stem}", `["fakec", "--version"]`, `\) ([0-9.]+)`, "fakec"))},
		"interp.toml":  {Data: []byte(fakeDef("interp", bin, "fakerun", `["fakerun", "-v"]`, `v([0-9.]+)`))},
		"firstln.toml": {Data: []byte(fakeDef("firstln", bin, "slow", `["slow"]`, ``))},
		"absent.toml":  {Data: []byte(fakeDef("absent", bin, "absent-interp", `["absent-interp", "-v"]`, ``))},
		"halfway.toml": {Data: []byte(fakeDef("halfway", bin, "fakerun", `["fakerun", "-v"]`, `v([0-9.]+)`, "absent-cc"))},
		"noexec.toml":  {Data: []byte(fakeDef("noexec", bin, "noexec", `["noexec"]`, ``))},
		"broken.toml":  {Data: []byte(fakeDef("broken", bin, "broken", `["broken", "--version"]`, ``))},
		// The version command is another program (like dpkg-query): failing it only loses the version.
		"other.toml":   {Data: []byte(fakeDef("other", bin, "fakerun", `["broken"]`, ``))},
		"nomatch.toml": {Data: []byte(fakeDef("nomatch", bin, "fakerun", `["fakerun"]`, `version ([0-9]+)`))},
	}
	s, err := LoadFS(fsys)
	if err != nil {
		t.Fatal(err)
	}
	searched := bin + ":" + DefaultPath
	want := map[string]Toolchain{
		"comp":    {Available: true, Version: "4.5.6"},
		"interp":  {Available: true, Version: "1.2"},
		"firstln": {Available: true, Version: "slow 9"},
		"absent":  {Missing: "absent-interp was not found (searched " + searched + "); install with: apt-get install absent-tools"},
		"halfway": {Missing: "absent-cc was not found (searched " + searched + "); install with: apt-get install halfway-tools"},
		"noexec":  {Missing: "noexec was not found (searched " + searched + "); install with: apt-get install noexec-tools"},
		"broken":  {Missing: "broken is installed but does not work: broken --version: error: no default toolchain configured; reinstall with: apt-get install broken-tools"},
		"other":   {Available: true},
		"nomatch": {Available: true},
	}

	// Concurrent callers, mixing Detect and Toolchain, all see the same answers.
	var wg sync.WaitGroup
	results := make([]map[string]Toolchain, 4)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%2 == 0 {
				results[i] = s.Detect(context.Background())
				return
			}
			results[i] = map[string]Toolchain{}
			for _, l := range s.All() {
				results[i][l.ID] = s.Toolchain(context.Background(), l.ID)
			}
		}()
	}
	wg.Wait()
	for i, got := range results {
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("caller %d (-want +got):\n%s", i, diff)
		}
	}
	// Each version command ran once: the answers are cached.
	wantCalls := map[string]int{"fakec": 1, "fakerun": 2, "slow": 1, "broken": 2}
	if diff := cmp.Diff(wantCalls, countCalls(t, calls)); diff != "" {
		t.Errorf("version commands run (-want +got):\n%s", diff)
	}
	// The map is the caller's own.
	got := s.Detect(context.Background())
	got["comp"] = Toolchain{}
	if tc := s.Toolchain(context.Background(), "comp"); !tc.Available {
		t.Errorf("changing Detect's map changed the cache: %+v", tc)
	}
	if tc := s.Toolchain(context.Background(), "nosuch"); tc.Available || tc.Missing != `unknown language "nosuch"` {
		t.Errorf("Toolchain(nosuch) = %+v", tc)
	}
}

// A Detect cut short by its context is not cached: the next caller gets the full answer.
func TestDetectCanceledIsNotCached(t *testing.T) {
	// Hangs until ready exists, then answers at once: with "sleep 1" a canceller starved for a
	// second let the first call get its answer.
	ready := filepath.Join(t.TempDir(), "ready")
	bin, calls := fakeToolchains(t, map[string]string{"slow": fmt.Sprintf(`[ -e %s ] || exec sleep 600; echo "slow 9"`, ready)})
	s, err := LoadFS(fstest.MapFS{"slow.toml": {Data: []byte(fakeDef("slow", bin, "slow", `["slow"]`, ``))}})
	if err != nil {
		t.Fatal(err)
	}
	// Canceled once the version command has started (a fixed timeout could end before the
	// command started on a loaded machine, and then it would run only once in all).
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			if b, _ := os.ReadFile(calls); len(b) > 0 {
				break
			}
		}
		cancel()
	}()
	tc := s.Toolchain(ctx, "slow")
	if tc.Version != "" {
		t.Errorf("canceled Toolchain = %+v, want no version", tc)
	}
	if err := os.WriteFile(ready, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if tc := s.Toolchain(context.Background(), "slow"); !tc.Available || tc.Version != "slow 9" {
		t.Errorf("after a canceled call, Toolchain = %+v, want slow 9", tc)
	}
	if n := countCalls(t, calls)["slow"]; n != 2 {
		t.Errorf("version command ran %d times, want 2 (the canceled answer is not cached)", n)
	}
}

// A version command that outlives its timeout (a JVM on a loaded host) leaves the toolchain
// available with an unknown version, instead of calling it broken.
func TestDetectVersionTimeout(t *testing.T) {
	// It never answers: with "sleep 1; echo" a timer starved for a second let it answer in time.
	bin, _ := fakeToolchains(t, map[string]string{"slow": `exec sleep 600`})
	s, err := LoadFS(fstest.MapFS{"slow.toml": {Data: []byte(fakeDef("slow", bin, "slow", `["slow"]`, ``))}})
	if err != nil {
		t.Fatal(err)
	}
	s.versionTimeout = 50 * time.Millisecond
	if diff := cmp.Diff(Toolchain{Available: true}, s.Toolchain(context.Background(), "slow")); diff != "" {
		t.Errorf("Toolchain (-want +got):\n%s", diff)
	}
}

// An answer whose version command timed out is not kept for the life of the Set: once
// versionRetry has passed, the next caller still gets it at once and the command is asked again
// in the background, so the callers after get the version; before that, the answer without a
// version is kept (the command is not asked on every request).
func TestDetectVersionTimeoutIsRetried(t *testing.T) {
	for _, tt := range []struct {
		name  string
		retry time.Duration
		want  Toolchain // after the background detection, if any
		runs  int       // of the version command after the first call
	}{
		{"retry passed", 0, Toolchain{Available: true, Version: "slow 9"}, 1},
		{"retry not yet", time.Hour, Toolchain{Available: true}, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ready := filepath.Join(t.TempDir(), "ready")
			// Hangs until ready exists (the timeout kills it), then answers at once.
			bin, calls := fakeToolchains(t, map[string]string{
				"slow": fmt.Sprintf(`[ -e %s ] || exec sleep 600; echo "slow 9"`, ready),
			})
			s, err := LoadFS(fstest.MapFS{"slow.toml": {Data: []byte(fakeDef("slow", bin, "slow", `["slow"]`, ``))}})
			if err != nil {
				t.Fatal(err)
			}
			redetected := make(chan struct{}, 1)
			s.versionTimeout, s.versionRetry = 100*time.Millisecond, tt.retry
			s.redetected = func() { redetected <- struct{}{} }
			if diff := cmp.Diff(Toolchain{Available: true}, s.Toolchain(context.Background(), "slow")); diff != "" {
				t.Fatalf("first Toolchain (-want +got):\n%s", diff)
			}
			// Count only the later calls' runs (the first may be killed before it logs).
			if err := os.Remove(calls); err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			if err := os.WriteFile(ready, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			s.versionTimeout = 5 * time.Minute // only catches a hang
			// The second caller gets the kept answer at once, whether or not it is retried.
			if diff := cmp.Diff(Toolchain{Available: true}, s.Toolchain(context.Background(), "slow")); diff != "" {
				t.Errorf("second Toolchain (-want +got):\n%s", diff)
			}
			if tt.runs > 0 {
				select {
				case <-redetected:
				case <-time.After(10 * time.Minute): // only catches a hang
					t.Fatal("no background detection")
				}
			}
			if diff := cmp.Diff(tt.want, s.Toolchain(context.Background(), "slow")); diff != "" {
				t.Errorf("third Toolchain (-want +got):\n%s", diff)
			}
			if n := countCalls(t, calls)["slow"]; n != tt.runs {
				t.Errorf("version command ran %d times after the first call, want %d", n, tt.runs)
			}
		})
	}
}

// TestDetectHost runs detection for real and logs what this host has; every missing language
// must say how to install it.
func TestDetectHost(t *testing.T) {
	s := mustLoad(t)
	found := s.Detect(context.Background())
	var have, missing []string
	for _, l := range s.All() {
		tc, ok := found[l.ID]
		switch {
		case !ok:
			t.Errorf("%s: no detection result", l.ID)
		case tc.Available:
			have = append(have, l.ID+" "+tc.Version)
		case !strings.Contains(tc.Missing, l.Package):
			t.Errorf("%s: Missing %q does not name the package %q", l.ID, tc.Missing, l.Package)
		default:
			missing = append(missing, l.ID)
		}
	}
	if tc := found["sh"]; !tc.Available {
		t.Errorf("sh (dash) is on every Debian host, yet: %s", tc.Missing)
	}
	t.Logf("installed (%d): %s", len(have), strings.Join(have, ", "))
	t.Logf("missing (%d): %s", len(missing), strings.Join(missing, ", "))
}

// TestParseVersion checks each definition's version_regex against real output of its version
// command, including toolchains this host may lack.
func TestParseVersion(t *testing.T) {
	s := mustLoad(t)
	tests := map[string]struct{ output, want string }{
		"ada":          {"GNAT 12.2.0\nCopyright (C) 1996-2022, Free Software Foundation, Inc.\n", "12.2.0"},
		"awk":          {"GNU Awk 5.2.1, API 3.2, PMA Avon 8-g1, (GNU MPFR 4.2.0, GNU MP 6.2.1)\n", "5.2.1"},
		"bash":         {"GNU bash, version 5.2.15(1)-release (x86_64-pc-linux-gnu)\n", "5.2.15"},
		"c":            {"gcc (Debian 12.2.0-14+deb12u1) 12.2.0\nCopyright (C) 2022\n", "12.2.0"},
		"clojure":      {"1.11.1", "1.11.1"},
		"cobol":        {"cobc (GnuCOBOL) 3.1.2.0\n", "3.1.2.0"},
		"coffeescript": {"CoffeeScript version 2.7.0\n", "2.7.0"},
		"commonlisp":   {"SBCL 2.2.9.debian\n", "2.2.9"},
		"crystal":      {"Crystal 1.6.0 (2022-10-06)\n\nLLVM: 14.0.6\n", "1.6.0"},
		"csharp":       {"Mono C# compiler version 6.8.0.105\n", "6.8.0.105"},
		"dart":         {"Dart SDK version: 3.4.4 (stable) (Wed Jun 12 15:54:31 2024 +0000) on \"linux_x64\"\n", "3.4.4"},
		"elixir":       {"Erlang/OTP 25 [erts-13.1.5] [source]\n\nElixir 1.14.0 (compiled with Erlang/OTP 25)\n", "1.14.0"},
		"erlang":       {"25", "25"},
		"forth":        {"gforth 0.7.3\n", "0.7.3"},
		"fsharp":       {"8.0.303\n", "8.0.303"},
		"gas":          {"GNU assembler (GNU Binutils for Debian) 2.40\n", "2.40"},
		"go":           {"go version go1.26.8 linux/amd64\n", "1.26.8"},
		"groovy":       {"Groovy Version: 2.4.21 JVM: 17.0.15 Vendor: Debian OS: Linux\n", "2.4.21"},
		"haskell":      {"9.0.2\n", "9.0.2"},
		"java":         {"javac 17.0.15\n", "17.0.15"},
		"javascript":   {"v20.20.2\n", "20.20.2"},
		"julia":        {"julia version 1.10.4\n", "1.10.4"},
		"kotlin":       {"info: kotlinc-jvm 1.9.24 (JRE 17.0.15+6-Debian-1deb12u1)\n", "1.9.24"},
		"lua":          {"Lua 5.4.4  Copyright (C) 1994-2022 Lua.org, PUC-Rio\n", "5.4.4"},
		"nasm":         {"NASM version 2.16.01\n", "2.16.01"},
		"nim":          {"Nim Compiler Version 1.6.10 [Linux: amd64]\n", "1.6.10"},
		"octave":       {"GNU Octave, version 7.3.0\n", "7.3.0"},
		"perl":         {"v5.36.0", "5.36.0"},
		"php":          {"PHP 8.2.36 (cli) (built: Nov 18 2026 20:02:04) (NTS)\n", "8.2.36"},
		"prolog":       {"SWI-Prolog version 9.0.4 for x86_64-linux\n", "9.0.4"},
		"python":       {"Python 3.11.2\n", "3.11.2"},
		"r":            {"Rscript (R) version 4.2.2 Patched (2022-11-10 r83330)\n", "4.2.2"},
		"racket":       {"Welcome to Racket v8.7 [cs].\n", "8.7"},
		"raku":         {"Welcome to Rakudo™ v2022.12.\nImplementing the Raku® Programming Language v6.d.\n", "2022.12"},
		"ruby":         {"ruby 3.1.2p20 (2022-04-12 revision 4491bb740a) [x86_64-linux-gnu]\n", "3.1.2"},
		"rust":         {"rustc 1.95.0 (59807616e 2026-04-14)\n", "1.95.0"},
		"scala":        {"Scala compiler version 2.11.12 -- Copyright 2002-2017, LAMP/EPFL\n", "2.11.12"},
		"scheme":       {"guile (GNU Guile) 3.0.8\nPackaged by Debian (3.0.8-deb+3.0.8-2)\n", "3.0.8"},
		"sml":          {"Poly/ML 5.7.1 Release    RTS version: X86_64-5.7.1\n", "5.7.1"},
		"sqlite":       {"3.40.1 2022-12-28 14:03:47 df5c253c0b3dd24916e4ec7cf77d3db5294cc9fd45ae7b9c5e82ad8197f3alt1\n", "3.40.1"},
		"swift":        {"Swift version 5.10.1 (swift-5.10.1-RELEASE)\nTarget: x86_64-unknown-linux-gnu\n", "5.10.1"},
		"tcl":          {"8.6.13\n", "8.6.13"},
		"typescript":   {"Version 5.9.3\n", "5.9.3"},
		"vala":         {"Vala 0.56.3\n", "0.56.3"},
		"zig":          {"0.13.0\n", "0.13.0"},
	}
	for id, tt := range tests {
		l, ok := s.Lookup(id)
		if !ok {
			t.Errorf("%s: no such language", id)
			continue
		}
		if got := l.ParseVersion(tt.output); got != tt.want {
			t.Errorf("%s: ParseVersion(%q) = %q, want %q", id, tt.output, got, tt.want)
		}
	}
}
