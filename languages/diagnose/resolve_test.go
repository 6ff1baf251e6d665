package diagnose

import "testing"

func TestResolve(t *testing.T) {
	files := []string{"main.py", "lib/util.py", "a/x.c", "b/x.c"}
	for _, tt := range []struct{ in, want string }{
		{"main.py", "main.py"},
		{"/work/main.py", "main.py"},
		{"./main.py", "main.py"},
		{"file:///work/lib/util.py", "lib/util.py"},
		{"util.py", "lib/util.py"}, // a bare name, as Java and some runtimes print it
		{"x.c", ""},                // ambiguous
		{"/usr/lib/python3.11/json/decoder.py", ""},
		{"/work/other.py", ""},
		{"node:internal/modules/cjs/loader", ""},
		{"", ""},
	} {
		if got := resolve(tt.in, files); got != tt.want {
			t.Errorf("resolve(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSeverity(t *testing.T) {
	for _, tt := range []struct {
		word, def string
		want      Severity
	}{
		{"error", "", Error}, {"fatal error", "", Error}, {"Fatal", "", Error}, {"Error", "warning", Error},
		{"warning", "", Warning}, {"Warning", "", Warning},
		{"note", "", Info}, {"Hint", "", Info}, {"Notice", "", Info}, {"Deprecated", "", Info},
		{"", "", Error}, {"", "warning", Warning},
	} {
		if got := severity(tt.word, tt.def); got != tt.want {
			t.Errorf("severity(%q, %q) = %q, want %q", tt.word, tt.def, got, tt.want)
		}
	}
}
