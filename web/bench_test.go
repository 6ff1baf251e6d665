package web

import (
	"net/http"
	"strings"
	"testing"
)

// BenchmarkRunOverhead measures what the HTTP layer adds to a run: decoding, validation,
// language resolution, metrics, logging and encoding, around an executor that answers at once.
func BenchmarkRunOverhead(b *testing.B) {
	for _, tc := range []struct{ name, path, body string }{
		{"v1", "/api/v1/run", `{"language":"python","source":"out hi\nerr oops","stdin":"x","limits":{"cpu_time_ms":1000}}`},
		{"piston", "/api/v2/execute", `{"language":"py","version":"3.x","files":[{"content":"out hi\nerr oops"}],"run_timeout":3000}`},
	} {
		b.Run(tc.name, func(b *testing.B) {
			s, err := New(Options{Executor: newFake(nil), Rate: Rate{N: -1}, Logger: quietLogger()})
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				w := serve(s, newChunkedRequest(tc.path, tc.body))
				if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "hi") {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
		})
	}
}
