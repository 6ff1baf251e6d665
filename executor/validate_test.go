package executor

import (
	"errors"
	"testing"
)

func TestCheckFiles(t *testing.T) {
	file := func(name string) File { return File{Name: name, Content: []byte("x")} }
	tests := []struct {
		name      string
		req       Request
		wantMain  string
		wantField string // "" means valid
	}{
		{"one file", Request{Files: []File{file("main.py")}}, "main.py", ""},
		{"main picked", Request{Files: []File{file("a.c"), file("b.c")}, Main: "b.c"}, "b.c", ""},
		{"subdir", Request{Files: []File{file("src/util.c")}}, "src/util.c", ""},
		{"no files", Request{}, "", "files"},
		{"absolute", Request{Files: []File{file("/etc/passwd")}}, "", "files[0].name"},
		{"dotdot", Request{Files: []File{file("../x")}}, "", "files[0].name"},
		{"unclean", Request{Files: []File{file("a//b")}}, "", "files[0].name"},
		{"file and dir", Request{Files: []File{file("a"), file("a/b")}}, "", "files[1].name"},
		{"dir and file", Request{Files: []File{file("x/y/z.c"), file("x/y")}}, "", "files[0].name"},
		{"sibling prefix", Request{Files: []File{file("a"), file("ab/c")}}, "a", ""},
		{"control char", Request{Files: []File{file("a\nb")}}, "", "files[0].name"},
		{"duplicate", Request{Files: []File{file("a"), file("a")}}, "", "files[1].name"},
		{"main missing", Request{Files: []File{file("a")}, Main: "b"}, "", "main"},
		{"nul arg", Request{Files: []File{file("a")}, Args: []string{"x\x00"}}, "", "args[0]"},
		{"stdin too big", Request{Files: []File{file("a")}, Stdin: make([]byte, MaxStdinSize+1)}, "", "stdin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			main, err := checkFiles(tt.req)
			var re *RequestError
			switch {
			case tt.wantField == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.wantField != "" && !errors.As(err, &re):
				t.Fatalf("error = %v, want a RequestError for %s", err, tt.wantField)
			case tt.wantField != "" && re.Field != tt.wantField:
				t.Fatalf("field = %q (%v), want %q", re.Field, err, tt.wantField)
			case tt.wantField == "" && main != tt.wantMain:
				t.Fatalf("main = %q, want %q", main, tt.wantMain)
			}
		})
	}
}

func TestFormatBytes(t *testing.T) {
	for in, want := range map[int64]string{12: "12 B", 1536: "1.5 KiB", 256 * mib: "256 MiB", 3 * gib: "3 GiB", 3*mib + mib/2: "3.5 MiB"} {
		if got := FormatBytes(in); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", in, got, want)
		}
	}
}

func TestCheckCases(t *testing.T) {
	if err := checkCases(Request{Stdin: []byte("x"), Cases: []Case{{}}}); !IsRequestError(err) {
		t.Errorf("stdin with cases: err = %v, want a RequestError", err)
	}
	if err := checkCases(Request{Cases: make([]Case, MaxCases+1)}); !IsRequestError(err) {
		t.Errorf("too many cases: err = %v", err)
	}
}
