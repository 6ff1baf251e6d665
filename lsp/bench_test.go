package lsp

import (
	"testing"
)

// BenchmarkRunRoundTrip measures what the LSP layer adds to a run: sandrun.run with a buffer,
// its notifications and its answer, over a pipe with real framing, on an executor that does no
// work (compare with the executor's own benchmarks for the cost of a real run).
func BenchmarkRunRoundTrip(b *testing.B) {
	b.ReportAllocs()
	c, _ := newSession(b, nil)
	args := map[string]any{"uri": "untitled:bench", "languageId": "python", "text": "out hello\nerr world\n"}
	b.ResetTimer()
	for range b.N {
		c.runDone(c.command(CommandRun, args))
	}
}
