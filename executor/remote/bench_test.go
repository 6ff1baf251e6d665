package remote

import (
	"context"
	"testing"

	"github.com/sandrun/sandrun/executor"
)

// BenchmarkRun compares a run on the executor itself with the same run through a Client and
// Server on 127.0.0.1: the difference is the transport's cost per run (framing, JSON, auth is
// paid once per connection).
func BenchmarkRun(b *testing.B) {
	req := script("out hello", "err world", "out again")
	bench := func(b *testing.B, ex executor.Executor) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ex.Run(context.Background(), req, func(executor.Event) {}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("direct", func(b *testing.B) { bench(b, newFake(4, 4)) })
	b.Run("tcp", func(b *testing.B) {
		addr, _ := startServer(b, newFake(4, 4), ServerOptions{})
		bench(b, dial(b, addr, Options{}))
	})
}
