package executor

import (
	"fmt"
	"time"
)

const (
	kib = 1 << 10
	mib = 1 << 20
	gib = 1 << 30
)

// The caps every executor starts from. They are unexported so that no importer can raise them;
// the accessors return copies, and an executor takes its own caps as constructor options.
var (
	defaultLimits = Limits{
		CPUTimeMs:   2000,
		MemoryBytes: 256 * mib,
		Processes:   64,
		OutputBytes: 1 * mib,
		FileBytes:   64 * mib,
	}
	defaultCompileLimits = Limits{
		CPUTimeMs:   15000,
		MemoryBytes: 1 * gib,
		Processes:   128,
		OutputBytes: 1 * mib,
		FileBytes:   256 * mib,
	}
	maxLimits = Limits{
		CPUTimeMs:   60000,
		WallTimeMs:  180000,
		MemoryBytes: 8 * gib,
		Processes:   1024,
		OutputBytes: 64 * mib,
		FileBytes:   1 * gib,
	}
	minLimits = Limits{CPUTimeMs: 1, WallTimeMs: 1, MemoryBytes: 4 * mib, Processes: 1, OutputBytes: 1, FileBytes: 1}
)

// DefaultLimits are the run stage's limits when neither the request nor the language sets them.
func DefaultLimits() Limits { return defaultLimits }

// DefaultCompileLimits are the compile stage's defaults.
func DefaultCompileLimits() Limits { return defaultCompileLimits }

// MaxLimits are the largest limits a request may ask for of an executor with the default caps.
func MaxLimits() Limits { return maxLimits }

// MinLimits are the smallest limits that make sense.
func MinLimits() Limits { return minLimits }

// Fill returns l with each zero field taken from def.
func (l Limits) Fill(def Limits) Limits {
	pick := func(v, d int64) int64 {
		if v != 0 {
			return v
		}
		return d
	}
	l.CPUTimeMs = pick(l.CPUTimeMs, def.CPUTimeMs)
	l.WallTimeMs = pick(l.WallTimeMs, def.WallTimeMs)
	l.MemoryBytes = pick(l.MemoryBytes, def.MemoryBytes)
	l.Processes = int(pick(int64(l.Processes), int64(def.Processes)))
	l.OutputBytes = pick(l.OutputBytes, def.OutputBytes)
	l.FileBytes = pick(l.FileBytes, def.FileBytes)
	return l
}

// FormatMs prints a time in milliseconds the way people read it: "2s", "1.5s", "250ms".
func FormatMs(v int64) string { return (time.Duration(v) * time.Millisecond).String() }

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
