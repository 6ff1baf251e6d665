package languages

import "testing"

// BenchmarkLoad is what a new process pays for its languages before a one-shot run: the
// embedded definitions parsed (Load does it once per process), then a file's language picked
// by its extension and by a #! line and its runtime resolved.
func BenchmarkLoad(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		s, err := loadEmbedded()
		if err != nil {
			b.Fatal(err)
		}
		s = s.fresh()
		l, ok := s.ByExtension("hello.py")
		if !ok {
			b.Fatal("no language for .py")
		}
		if _, ok := s.Runtime(l.ID, l.Runtime); !ok {
			b.Fatal("no runtime")
		}
		if _, ok := s.ByShebang([]byte("#!/usr/bin/env python3\nprint(1)\n")); !ok {
			b.Fatal("no language for #!")
		}
	}
}
