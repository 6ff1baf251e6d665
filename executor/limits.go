package executor

import (
	"fmt"
	"time"

	"github.com/sandrun/sandrun/languages"
)

const (
	kib = 1 << 10
	mib = 1 << 20
	gib = 1 << 30
)

// DefaultLimits are the run stage's limits when neither the request nor the language sets them.
var DefaultLimits = Limits{
	CPUTimeMs:   2000,
	MemoryBytes: 256 * mib,
	Processes:   64,
	OutputBytes: 1 * mib,
	FileBytes:   64 * mib,
}

// DefaultCompileLimits are the compile stage's defaults.
var DefaultCompileLimits = Limits{
	CPUTimeMs:   15000,
	MemoryBytes: 1 * gib,
	Processes:   128,
	OutputBytes: 1 * mib,
	FileBytes:   256 * mib,
}

// MaxLimits are the largest limits a request may ask for.
var MaxLimits = Limits{
	CPUTimeMs:   60000,
	WallTimeMs:  180000,
	MemoryBytes: 8 * gib,
	Processes:   1024,
	OutputBytes: 64 * mib,
	FileBytes:   1 * gib,
}

// minLimits are the smallest limits that make sense.
var minLimits = Limits{CPUTimeMs: 1, WallTimeMs: 1, MemoryBytes: 4 * mib, Processes: 1, OutputBytes: 1, FileBytes: 1}

// resolveLimits fills req's zero fields from the language's overrides, then from def, checks
// ranges, and sets the wall limit to 2×CPU+1s when the request leaves it out.
func resolveLimits(field string, req, def Limits, o languages.Overrides, compile bool) (Limits, error) {
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
		if l.WallTimeMs > MaxLimits.WallTimeMs {
			l.WallTimeMs = MaxLimits.WallTimeMs
		}
	}
	checks := []struct {
		name      string
		v, lo, hi int64
		unit      func(int64) string
	}{
		{"cpu_time_ms", l.CPUTimeMs, minLimits.CPUTimeMs, MaxLimits.CPUTimeMs, fmtMs},
		{"wall_time_ms", l.WallTimeMs, minLimits.WallTimeMs, MaxLimits.WallTimeMs, fmtMs},
		{"memory_bytes", l.MemoryBytes, minLimits.MemoryBytes, MaxLimits.MemoryBytes, FormatBytes},
		{"processes", int64(l.Processes), int64(minLimits.Processes), int64(MaxLimits.Processes), func(v int64) string { return fmt.Sprint(v) }},
		{"output_bytes", l.OutputBytes, minLimits.OutputBytes, MaxLimits.OutputBytes, FormatBytes},
		{"file_bytes", l.FileBytes, minLimits.FileBytes, MaxLimits.FileBytes, FormatBytes},
	}
	for _, c := range checks {
		if c.v < c.lo || c.v > c.hi {
			return l, Invalid(field+"."+c.name, "%s is out of range: it must be between %s and %s",
				c.unit(c.v), c.unit(c.lo), c.unit(c.hi))
		}
	}
	return l, nil
}

func fmtMs(v int64) string { return (time.Duration(v) * time.Millisecond).String() }

// FormatBytes prints a byte count the way people read it: "256 MiB", "1.5 KiB", "12 B".
func FormatBytes(n int64) string {
	switch {
	case n >= gib && n%gib == 0:
		return fmt.Sprintf("%d GiB", n/gib)
	case n >= mib && n%mib == 0:
		return fmt.Sprintf("%d MiB", n/mib)
	case n >= kib && n < mib && n%kib == 0:
		return fmt.Sprintf("%d KiB", n/kib)
	case n >= gib:
		return fmt.Sprintf("%.1f GiB", float64(n)/gib)
	case n >= mib:
		return fmt.Sprintf("%.1f MiB", float64(n)/mib)
	case n >= kib:
		return fmt.Sprintf("%.1f KiB", float64(n)/kib)
	}
	return fmt.Sprintf("%d B", n)
}
