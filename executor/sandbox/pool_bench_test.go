//go:build linux

package sandbox

import (
	"context"
	"testing"
	"time"
)

// BenchmarkPoolRunTrue is one run of /bin/true as a pooled executor makes it: a sandbox from
// the pool, one command, the sandbox back (its reset happens in the background, and the next
// Get waits for it when no other sandbox is ready). Compare with BenchmarkBareTrue.
func BenchmarkPoolRunTrue(b *testing.B) {
	p := NewPool(PoolOptions{MaxIdle: 2})
	defer p.Close()
	c := Cmd{Args: []string{"/bin/true"}, Env: testEnv, Limits: testLimits}
	ctx := context.Background()
	ds := make([]time.Duration, 0, b.N)
	for i := 0; i < b.N; i++ {
		t := time.Now()
		sb, err := p.Get(ctx, Config{})
		if err != nil {
			b.Fatal(err)
		}
		o, err := sb.Run(ctx, c)
		p.Put(sb)
		ds = append(ds, time.Since(t))
		if err != nil || o.ExitCode != 0 {
			b.Fatalf("%v %+v", err, o)
		}
	}
	b.StopTimer()
	median(b, ds)
}
