package local

import (
	"context"
	"slices"
	"testing"
	"time"
)

// BenchmarkLocalRun is one run through the local executor, one at a time, with its pool and
// compile cache warm: what a front end's run costs beyond the program. It reports the median
// (median-ns) beside the mean; `make bench-table` puts such figures next to bare execution.
func BenchmarkLocalRun(b *testing.B) {
	for _, tt := range []struct{ lang, src, want string }{
		{"python", "pass\n", ""},
		{"c", "#include <stdio.h>\nint main(void) { puts(\"hi\"); return 0; }\n", "hi\n"},
		{"cpp", "#include <iostream>\nint main() { std::cout << \"hi\\n\"; }\n", "hi\n"},
	} {
		b.Run(tt.lang, func(b *testing.B) {
			l, err := New(Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			if tc := l.langs.Toolchain(context.Background(), tt.lang); !tc.Available {
				b.Skipf("%s is not installed here", tt.lang)
			}
			req := Request{Language: tt.lang, Files: []File{{Name: "main." + tt.lang, Content: []byte(tt.src)}}}
			run := func() time.Duration {
				t := time.Now()
				r, err := l.Run(context.Background(), req, nil)
				if err != nil || r.Status != StatusOK || r.Stdout != tt.want {
					b.Fatalf("%v %s %q %s", err, r.Status, r.Stdout, r.Message)
				}
				return time.Since(t)
			}
			run() // the toolchain lookup, the first sandbox and the compile stay out of the figure
			ds := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				ds = append(ds, run())
			}
			b.StopTimer()
			slices.Sort(ds)
			b.ReportMetric(float64(ds[len(ds)/2].Nanoseconds()), "median-ns")
		})
	}
}
