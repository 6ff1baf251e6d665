package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/executor/local"
	"github.com/sandrun/sandrun/executor/sandbox"
	"github.com/sandrun/sandrun/languages"
)

// doctorReport is `sandrun doctor --json`: the host's capabilities, what a canary saw inside a
// real sandbox, and which languages are usable.
type doctorReport struct {
	sandbox.Host
	Canary      *sandbox.Canary  `json:"canary"`       // nil when the sandbox did not start
	CanaryError string           `json:"canary_error"` // why, then
	Languages   []doctorLanguage `json:"languages"`
	OK          bool             `json:"ok"` // the sandbox works and isolates
}

// doctorLanguage is one language's toolchain and, with --run, whether hello-world ran.
type doctorLanguage struct {
	ID        string `json:"id"`
	Available bool   `json:"available"`
	Version   string `json:"version,omitempty"`
	Missing   string `json:"missing,omitempty"`
	Ran       string `json:"ran,omitempty"` // --run only: "ok", or the status and message
}

func doctorCmd(ctx context.Context, args []string) error {
	fs := newFlagSet("doctor")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	runAll := fs.Bool("run", false, "also run each installed language's hello-world in the sandbox")
	noLangs := fs.Bool("no-languages", false, "check only the sandbox, not which toolchains are installed (quicker)")
	if err := parseFlags(fs, "usage: sandrun doctor [flags]\n\nReports what the sandbox can enforce on this host.", args); err != nil {
		return err // errHelpShown after --help: exit 0
	}
	if fs.NArg() > 0 {
		return usageError("doctor takes no arguments, got %q", fs.Arg(0))
	}
	r := doctorReport{Host: sandbox.ProbeHost(ctx)}
	if c, err := sandbox.RunCanary(ctx); err != nil {
		r.CanaryError = err.Error()
		r.Problems = append(r.Problems, "the sandbox does not work: "+err.Error())
	} else {
		r.Canary = &c
		for _, p := range c.Problems(r.Rootless) {
			r.Problems = append(r.Problems, "isolation: "+p)
		}
	}
	r.OK = r.Canary != nil && len(r.Canary.Problems(r.Rootless)) == 0
	if !*noLangs {
		langs, err := doctorLanguages(ctx, *runAll && r.Canary != nil)
		if err != nil {
			return err
		}
		r.Languages = langs
	}
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			return err
		}
	} else {
		printDoctor(os.Stdout, r)
	}
	if !r.OK {
		return exitError{1}
	}
	return nil
}

// doctorLanguages detects every toolchain and, when run is set, runs its hello-world.
func doctorLanguages(ctx context.Context, run bool) ([]doctorLanguage, error) {
	set, err := languages.Load()
	if err != nil {
		return nil, err
	}
	found := set.Detect(ctx)
	var ex *local.Executor
	if run {
		if ex, err = local.New(local.Options{Languages: set}); err != nil {
			return nil, err
		}
		defer ex.Close()
	}
	var out []doctorLanguage
	for _, l := range set.All() {
		tc := found[l.ID]
		s := doctorLanguage{ID: l.ID, Available: tc.Available, Version: tc.Version, Missing: tc.Missing}
		if ex != nil && tc.Available && l.Hello != "" {
			s.Ran = doctorHello(ctx, ex, l)
		}
		out = append(out, s)
	}
	return out, nil
}

func doctorHello(ctx context.Context, ex executor.Executor, l *languages.Language) string {
	name := l.SourceFile
	if name == "" && len(l.Extensions) > 0 {
		name = "main" + l.Extensions[0]
	}
	res, err := ex.Run(ctx, executor.Request{Language: l.ID, Files: []executor.File{{Name: name, Content: []byte(l.Hello)}}}, nil)
	switch {
	case err != nil:
		return "error: " + err.Error()
	case res.Status != executor.StatusOK:
		return fmt.Sprintf("%s: %s", res.Status, res.Message)
	}
	return "ok"
}

func printDoctor(w io.Writer, r doctorReport) {
	mode := "root"
	if r.Rootless {
		mode = fmt.Sprintf("rootless (uid %d, unprivileged user namespaces)", r.UID)
	}
	fmt.Fprintf(w, "host        %s/%s, kernel %s, running as %s\n", r.OS, r.Arch, r.Kernel, mode)
	var ns []string
	for _, n := range r.Namespaces {
		ns = append(ns, n.Name+" "+doctorMark(n.OK))
	}
	fmt.Fprintf(w, "namespaces  %s\n", strings.Join(ns, ", "))
	cg := r.Cgroup.Version
	if r.Cgroup.Unified != "" {
		cg += " (cgroup2 at " + r.Cgroup.Unified + ")"
	}
	fmt.Fprintf(w, "cgroups     %s; sandbox uses %s\n", cg, r.Cgroup.InUse)
	for _, c := range r.Cgroup.Controllers {
		wr := "writable"
		if !c.Writable {
			wr = "not writable"
		}
		line := fmt.Sprintf("  %-9s %s %s, %s", c.Name, c.Version, c.Path, wr)
		if c.Detail != "" {
			line += "; " + c.Detail
		}
		fmt.Fprintln(w, line)
	}
	fmt.Fprintf(w, "seccomp     %s: %s\n", doctorMark(r.Seccomp.OK), r.Seccomp.Detail)
	fmt.Fprintf(w, "start       %s\n", r.Start.Detail)
	fmt.Fprintf(w, "init        %s\n", r.Init.Detail)
	fmt.Fprintln(w, "limits")
	for _, l := range r.Limits {
		fmt.Fprintf(w, "  %-10s %s: %s\n", l.Name, map[bool]string{true: "enforced", false: "NOT enforced"}[l.Enforced], l.By)
	}
	if c := r.Canary; c != nil {
		fmt.Fprintf(w, "canary      ran in %v: uid %d, %d processes visible, interfaces %s, seccomp %s, no_new_privs %s, CapEff %s\n",
			c.Elapsed.Round(time.Millisecond), c.UID, c.Processes, strings.Join(c.Interfaces, " "),
			c.Status["Seccomp"], c.Status["NoNewPrivs"], c.Status["CapEff"])
	} else {
		fmt.Fprintf(w, "canary      failed: %s\n", r.CanaryError)
	}
	var ok, missing []string
	for _, l := range r.Languages {
		switch {
		case l.Available && (l.Ran == "" || l.Ran == "ok"):
			ok = append(ok, strings.TrimSpace(l.ID+" "+l.Version))
		case l.Available:
			missing = append(missing, l.ID+" (installed, but hello-world failed: "+l.Ran+")")
		default:
			missing = append(missing, l.ID)
		}
	}
	sort.Strings(ok)
	switch {
	case r.Languages == nil:
		fmt.Fprintln(w, "languages   not checked (--no-languages)")
	default:
		fmt.Fprintf(w, "languages   %d of %d usable: %s\n", len(ok), len(r.Languages), strings.Join(ok, ", "))
	}
	if len(missing) > 0 {
		fmt.Fprintf(w, "  not usable: %s\n", strings.Join(missing, ", "))
	}
	if len(r.Problems) == 0 {
		fmt.Fprintln(w, "\nok: every layer of the sandbox works here")
		return
	}
	fmt.Fprintln(w, "\nproblems:")
	for _, p := range r.Problems {
		fmt.Fprintln(w, "  - "+p)
	}
}

func doctorMark(ok bool) string {
	if ok {
		return "ok"
	}
	return "MISSING"
}
