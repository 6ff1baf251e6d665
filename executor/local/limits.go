package local

import (
	"fmt"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/languages"
)

// Caps are the limits an Executor applies to every request: the defaults of the fields a request
// leaves zero (per stage) and the largest a request may ask for. A zero field takes the value of
// executor.DefaultLimits, DefaultCompileLimits or MaxLimits.
type Caps struct {
	Run, Compile, Max Limits
}

// filled returns c with every zero field taken from the executor package's defaults, and the
// defaults lowered to the maxima where these are lower.
func (c Caps) filled() Caps {
	max := c.Max.Fill(executor.MaxLimits())
	return Caps{
		Run:     atMost(c.Run.Fill(executor.DefaultLimits()), max),
		Compile: atMost(c.Compile.Fill(executor.DefaultCompileLimits()), max),
		Max:     max,
	}
}

// atMost returns l with each field lowered to max's.
func atMost(l, max Limits) Limits {
	l.CPUTimeMs = min(l.CPUTimeMs, max.CPUTimeMs)
	l.WallTimeMs = min(l.WallTimeMs, max.WallTimeMs)
	l.MemoryBytes = min(l.MemoryBytes, max.MemoryBytes)
	l.Processes = min(l.Processes, max.Processes)
	l.OutputBytes = min(l.OutputBytes, max.OutputBytes)
	l.FileBytes = min(l.FileBytes, max.FileBytes)
	return l
}

// resolveLimits fills req's zero fields from the language's overrides, then from def, checks
// ranges against max, and sets the wall limit to 2×CPU+1s when the request leaves it out.
func resolveLimits(field string, req, def, max Limits, o languages.Overrides, compile bool) (Limits, error) {
	l := req
	cpu, mem, procs := o.CPUTimeMs, o.MemoryMiB*mib, o.Processes
	if compile {
		cpu, mem, procs = o.CompileCPUTimeMs, o.CompileMemoryMiB*mib, o.CompileProcesses
	}
	pick := func(v, override, d int64) int64 {
		switch {
		case v != 0:
			return v
		case override != 0:
			return override
		}
		return d
	}
	l.CPUTimeMs = pick(l.CPUTimeMs, cpu, def.CPUTimeMs)
	l.MemoryBytes = pick(l.MemoryBytes, mem, def.MemoryBytes)
	l.Processes = int(pick(int64(l.Processes), int64(procs), int64(def.Processes)))
	l.OutputBytes = pick(l.OutputBytes, 0, def.OutputBytes)
	l.FileBytes = pick(l.FileBytes, 0, def.FileBytes)
	if l.WallTimeMs == 0 {
		l.WallTimeMs = 2*l.CPUTimeMs + 1000
		if l.WallTimeMs > max.WallTimeMs {
			l.WallTimeMs = max.WallTimeMs
		}
	}
	min := executor.MinLimits()
	checks := []struct {
		name      string
		v, lo, hi int64
		unit      func(int64) string
	}{
		{"cpu_time_ms", l.CPUTimeMs, min.CPUTimeMs, max.CPUTimeMs, fmtMs},
		{"wall_time_ms", l.WallTimeMs, min.WallTimeMs, max.WallTimeMs, fmtMs},
		{"memory_bytes", l.MemoryBytes, min.MemoryBytes, max.MemoryBytes, FormatBytes},
		{"processes", int64(l.Processes), int64(min.Processes), int64(max.Processes), func(v int64) string { return fmt.Sprint(v) }},
		{"output_bytes", l.OutputBytes, min.OutputBytes, max.OutputBytes, FormatBytes},
		{"file_bytes", l.FileBytes, min.FileBytes, max.FileBytes, FormatBytes},
	}
	for _, c := range checks {
		if c.v < c.lo || c.v > c.hi {
			return l, Invalid(field+"."+c.name, "%s is out of range: it must be between %s and %s",
				c.unit(c.v), c.unit(c.lo), c.unit(c.hi))
		}
	}
	return l, nil
}
