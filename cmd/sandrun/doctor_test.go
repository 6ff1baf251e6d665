package main

import (
	"encoding/json"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sandrun/sandrun/languages"
)

// TestDoctorJSON drives `sandrun doctor --json` and checks the report against this host.
func TestDoctorJSON(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the sandbox exists only on Linux")
	}
	stdout, stderr, code := sandrunCLI(t, "", "doctor", "--json")
	var r doctorReport
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("doctor --json printed %q (stderr %q): %v", stdout, stderr, err)
	}
	var ns []string
	for _, n := range r.Namespaces {
		ns = append(ns, n.Name)
	}
	if diff := cmp.Diff([]string{"user", "mount", "pid", "net", "ipc", "uts", "cgroup"}, ns); diff != "" {
		t.Errorf("namespaces (-want +got):\n%s", diff)
	}
	if r.Rootless != (os.Geteuid() != 0) {
		t.Errorf("rootless = %v, but euid is %d", r.Rootless, os.Geteuid())
	}
	switch r.Cgroup.Version {
	case "v1", "v2", "hybrid", "none":
	default:
		t.Errorf("cgroup version %q, want v1, v2, hybrid or none", r.Cgroup.Version)
	}
	if (runtime.GOARCH == "amd64" || runtime.GOARCH == "arm64") && !r.Seccomp.OK {
		t.Errorf("seccomp reported unavailable: %s", r.Seccomp.Detail)
	}
	var limits []string
	for _, l := range r.Limits {
		limits = append(limits, l.Name)
	}
	if diff := cmp.Diff([]string{"memory", "processes", "cpu time", "wall time", "output", "file size", "open files", "network"}, limits); diff != "" {
		t.Errorf("limits (-want +got):\n%s", diff)
	}
	set, err := languages.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Languages) != len(set.All()) {
		t.Errorf("%d languages reported, want all %d", len(r.Languages), len(set.All()))
	}
	if wantCode := map[bool]int{true: 0, false: 1}[r.OK]; code != wantCode {
		t.Errorf("exit code %d with ok=%v, want %d", code, r.OK, wantCode)
	}
	if r.OK != (r.Canary != nil && len(r.Canary.Problems(r.Rootless)) == 0) {
		t.Errorf("ok=%v disagrees with the canary %+v", r.OK, r.Canary)
	}
	if !r.OK && len(r.Problems) == 0 {
		t.Error("not ok, but no problem is named")
	}
	// As root (CI) every layer must work: the canary ran and saw no leak.
	if os.Geteuid() == 0 && !r.OK {
		t.Errorf("doctor as root is not ok: %v (canary error %q)", r.Problems, r.CanaryError)
	}
	// The init: the embedded program (make's test targets build with it) or this binary again,
	// and the report says which.
	if r.Init.Detail == "" || r.Init.OK != strings.HasPrefix(r.Init.Detail, "the embedded sandrun-init") ||
		(!r.Init.OK && !strings.HasPrefix(r.Init.Detail, "this binary, re-executed")) {
		t.Errorf("init %+v: want the embedded sandrun-init (ok) or this binary re-executed, with why", r.Init)
	}
	if r.Canary != nil && (r.Canary.Status["Seccomp"] != "2" || r.Canary.Status["NoNewPrivs"] != "1") {
		t.Errorf("the canary ran without the seccomp filter or no_new_privs: %v", r.Canary.Status)
	}
}

func TestDoctorText(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the sandbox exists only on Linux")
	}
	stdout, _, _ := sandrunCLI(t, "", "doctor")
	for _, want := range []string{"host ", "namespaces ", "cgroups ", "seccomp ", "start ", "init ", "limits\n", "canary ", "languages "} {
		if !strings.Contains(stdout, want) {
			t.Errorf("doctor output lacks %q:\n%s", want, stdout)
		}
	}
	if _, stderr, code := sandrunCLI(t, "", "doctor", "extra"); code != 2 || !strings.Contains(stderr, `doctor takes no arguments, got "extra"`) {
		t.Errorf("doctor extra: exit %d, stderr %q; want exit 2 naming the argument", code, stderr)
	}
}

// TestDoctorTextNoLanguages: with --no-languages the report says the languages were not
// checked, not "0 of 0 usable".
func TestDoctorTextNoLanguages(t *testing.T) {
	var b strings.Builder
	printDoctor(&b, doctorReport{})
	if !strings.Contains(b.String(), "languages   not checked (--no-languages)\n") || strings.Contains(b.String(), "0 of 0") {
		t.Errorf("doctor without languages printed:\n%s", b.String())
	}
}
