package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// medianOf runs fn n times, one after another, and returns the median duration.
func medianOf(n int, fn func() error) (time.Duration, error) {
	ds := make([]time.Duration, 0, n)
	for i := 0; i < n; i++ {
		t := time.Now()
		if err := fn(); err != nil {
			return 0, err
		}
		ds = append(ds, time.Since(t))
	}
	slices.Sort(ds)
	return ds[len(ds)/2], nil
}

// paired is interleaved for two fns: a's median and b's.
func paired(n int, a, b func() error) (time.Duration, time.Duration, error) {
	meds, err := interleaved(n, a, b)
	if err != nil {
		return 0, 0, err
	}
	return meds[0], meds[1], nil
}

// interleaved runs the fns in turn n times and returns each one's median: load that drifts
// during the measure weighs on all alike.
func interleaved(n int, fns ...func() error) ([]time.Duration, error) {
	ds := make([][]time.Duration, len(fns))
	for i := 0; i < n; i++ {
		for j, fn := range fns {
			t := time.Now()
			if err := fn(); err != nil {
				return nil, err
			}
			ds[j] = append(ds[j], time.Since(t))
		}
	}
	meds := make([]time.Duration, len(fns))
	for j := range ds {
		slices.Sort(ds[j])
		meds[j] = ds[j][n/2]
	}
	return meds, nil
}

// rate runs fn total times from conc goroutines at once and returns runs per second.
func rate(ctx context.Context, conc, total int, fn func() error) (float64, error) {
	var next atomic.Int64
	var firstErr error
	var errOnce sync.Once
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < conc; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(total) && ctx.Err() == nil {
				if err := fn(); err != nil {
					errOnce.Do(func() { firstErr = err })
					return
				}
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return 0, firstErr
	}
	return float64(total) / time.Since(start).Seconds(), nil
}

// table is the one table the program prints: a measure, the bare (or reference) figure, the
// sandrun figure, and how they compare.
type table struct {
	rows [][4]string
}

func (t *table) add(measure, bare, sandrun, compare string) {
	t.rows = append(t.rows, [4]string{measure, bare, sandrun, compare})
	fmt.Fprintf(stderrLog, "  %s: %s | %s | %s\n", measure, bare, sandrun, compare)
}

// latency adds a row comparing two medians: the ratio and the overhead in ms.
func (t *table) latency(measure string, bare, sandboxed time.Duration) {
	t.add(measure, ms(bare), ms(sandboxed), fmt.Sprintf("%.2f× (+%s)", float64(sandboxed)/float64(bare), ms(sandboxed-bare)))
}

// rate adds a row comparing two throughputs.
func (t *table) rate(measure string, bare, sandboxed float64) {
	t.add(measure, fmt.Sprintf("%.0f runs/s", bare), fmt.Sprintf("%.0f runs/s", sandboxed), fmt.Sprintf("%.2f× bare", sandboxed/bare))
}

func (t *table) print(w io.Writer) {
	if len(t.rows) == 0 {
		return
	}
	fmt.Fprintln(w, "| measure | bare / reference | sandrun | sandrun ÷ bare |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: |")
	for _, r := range t.rows {
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", r[0], r[1], r[2], r[3])
	}
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
