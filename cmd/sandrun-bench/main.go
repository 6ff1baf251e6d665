// Command sandrun-bench measures sandrun against bare execution on this machine and prints one
// Markdown table: per-run latency (median, one run at a time) and throughput (runs/s at
// concurrency = cores and 2×cores) of /bin/true, python3 and a compiled C hello world, bare and
// sandboxed; the compile cache's hit against a miss for C++; the memory of `sandrun serve` idle
// and under load; what the HTTP, TCP and LSP front ends add to a local run; and runs/s through 1,
// 2 and 3 fleet workers on an embedded NATS server, with the NATS hop's cost over tcp://.
//
// `make bench-table` builds and runs it. It is a measuring tool, not a test: it asserts nothing
// about time, and a loaded machine gives slower, noisier figures (the load average is printed).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/sandrun/sandrun/executor/sandbox"
)

func main() {
	if sandbox.MaybeInit() {
		return
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "sandrun-bench:", err)
		os.Exit(1)
	}
}

// config is what the flags set.
type config struct {
	n       int    // runs per latency figure
	through int    // runs per throughput figure
	bin     string // the sandrun binary, for the front ends
	skip    map[string]bool
}

func run() error {
	var c config
	var skip string
	flag.IntVar(&c.n, "n", 100, "runs per latency figure (the median is reported)")
	flag.IntVar(&c.through, "throughput-runs", 60, "runs per throughput figure")
	flag.StringVar(&c.bin, "sandrun", "bin/sandrun", "the sandrun binary, for the serve, lsp and executor measures")
	flag.StringVar(&skip, "skip", "", "comma-separated sections to leave out: latency, throughput, cache, oneshot, memory, frontends, versus, fleet")
	flag.Parse()
	if c.n < 3 || c.through < 4 {
		return fmt.Errorf("-n must be at least 3 and -throughput-runs at least 4")
	}
	c.skip = map[string]bool{}
	for _, s := range strings.Split(skip, ",") {
		if s != "" {
			c.skip[strings.TrimSpace(s)] = true
		}
	}
	ctx := context.Background()
	w, err := newWorkloads(ctx)
	if err != nil {
		return err
	}
	defer w.close()

	t := &table{}
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Fprintf(os.Stderr, "sandrun-bench: %d CPUs, load average %s", runtime.NumCPU(), load)
	start := time.Now()
	sections := []struct {
		name string
		fn   func(context.Context, *table, config) error
	}{
		{"latency", w.latency},
		{"throughput", w.throughput},
		{"cache", w.cache},
		{"oneshot", w.oneshot},
		{"frontends", w.frontends},
		{"fleet", w.fleet},
	}
	for _, s := range sections {
		if c.skip[s.name] || (s.name == "frontends" && c.skip["memory"] && c.skip["frontends"]) {
			continue
		}
		fmt.Fprintf(os.Stderr, "sandrun-bench: %s…\n", s.name)
		if err := s.fn(ctx, t, c); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	var vt *versusTable
	if !c.skip["versus"] {
		fmt.Fprintf(os.Stderr, "sandrun-bench: versus (GOJUDGE=%s)…\n", os.Getenv("GOJUDGE"))
		if vt, err = w.versus(ctx, c); err != nil {
			return fmt.Errorf("versus: %w", err)
		}
	}
	load, _ = os.ReadFile("/proc/loadavg")
	fmt.Printf("Measured by `make bench-table` on %s: %d CPUs (%s), load average %s after %s.\n\n",
		time.Now().UTC().Format("2006-01-02"), runtime.NumCPU(), cpuModel(), strings.Join(strings.Fields(string(load))[:3], " "),
		time.Since(start).Round(time.Second))
	t.print(os.Stdout)
	if vt != nil {
		vt.print(os.Stdout)
	}
	return nil
}

// cpuModel is the first "model name" of /proc/cpuinfo.
func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "model name"); ok {
			return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
		}
	}
	return runtime.GOARCH
}
