package lsp

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sandrun/sandrun/languages"
)

func TestOffset(t *testing.T) {
	const text = "ab\r\nx😀y é\nlast"
	tests := []struct {
		pos  position
		want int
	}{
		{position{0, 0}, 0},
		{position{0, 2}, 2},
		{position{0, 9}, 2}, // past the end of the line: the line's end, before \r\n
		{position{1, 1}, 5},
		{position{1, 3}, 9}, // 😀 is two UTF-16 units and four bytes
		{position{1, 6}, 13},
		{position{2, 4}, len(text)},
		{position{7, 0}, len(text)},
		{position{-1, 0}, 0},
	}
	for _, tt := range tests {
		if got := offset(text, tt.pos); got != tt.want {
			t.Errorf("offset(%+v) = %d, want %d", tt.pos, got, tt.want)
		}
	}
}

func TestReplace(t *testing.T) {
	got, err := replace("hello world\nbye", textRange{position{0, 6}, position{1, 0}}, "there\n")
	if err != nil || got != "hello there\nbye" {
		t.Errorf("replace = %q, %v", got, err)
	}
	if _, err := replace("abc", textRange{position{0, 2}, position{0, 1}}, ""); err == nil {
		t.Error("replace with a backwards range: want an error")
	}
}

func TestSelectAndDedent(t *testing.T) {
	const doc = "def f():\n    if x:\n        a()\n\n    b()\n\tc()\n"
	tests := []struct {
		name string
		r    textRange
		want string
	}{
		{"indented block", textRange{position{1, 4}, position{4, 7}}, "if x:\n    a()\n\nb()"},
		{"from column 0", textRange{position{1, 0}, position{3, 0}}, "if x:\n    a()\n"},
		{"starts mid-line", textRange{position{1, 7}, position{2, 11}}, "x:\n        a()"},
		{"tab and spaces share nothing", textRange{position{4, 0}, position{6, 0}}, "    b()\n\tc()\n"},
		{"one line", textRange{position{2, 8}, position{2, 11}}, "a()"},
	}
	for _, tt := range tests {
		sel, ok := selectLines(doc, tt.r)
		if !ok {
			t.Fatalf("%s: selectLines refused %s", tt.name, tt.r)
		}
		if diff := cmp.Diff(tt.want, dedent(sel)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
	if got := dedent("  a\r\n   \r\n    b\r\n"); got != "a\r\n\r\n  b\r\n" {
		t.Errorf("dedent with CRLF = %q", got)
	}
}

func TestUTF8Stream(t *testing.T) {
	tests := []struct {
		name   string
		chunks []string
		want   []string // what each chunk shows, then the flush
	}{
		{"ascii", []string{"ab", "c"}, []string{"ab", "c", ""}},
		{"split 2-byte", []string{"a\xc3", "\xa9b"}, []string{"a", "éb", ""}},
		{"split 4-byte thrice", []string{"\xf0", "\x9f\x98", "\x80!"}, []string{"", "", "😀!", ""}},
		{"invalid byte", []string{"a\xffb"}, []string{"a\ufffdb", ""}},
		{"truncated at the end", []string{"x\xe2\x82"}, []string{"x", "\ufffd"}},
		{"lone continuation", []string{"\x80\x80\x80\x80"}, []string{"\ufffd", ""}},
	}
	for _, tt := range tests {
		var u utf8Stream
		var got []string
		for _, c := range tt.chunks {
			got = append(got, u.next([]byte(c)))
		}
		got = append(got, u.flush())
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestSourceName(t *testing.T) {
	set, err := languages.Load()
	if err != nil {
		t.Fatal(err)
	}
	py, _ := set.Lookup("python")
	tests := []struct {
		uri      string
		wantName string
		wantPath string
		wantOK   bool
	}{
		{"file:///home/me/hello.py", "hello.py", "/home/me/hello.py", true},
		{"file:///tmp/my%20dir/h%C3%A9llo.py", "héllo.py", "/tmp/my dir/héllo.py", true},
		{"file:///tmp/notes.txt", "main.py", "/tmp/notes.txt", true},
		{"file:///tmp/bad%FF.py", "main.py", "/tmp/bad\xff.py", true},
		{"file:///tmp/.py", "main.py", "/tmp/.py", true},
		{"untitled:Untitled-1", "main.py", "", false},
		{"file://otherhost/x.py", "x.py", "", false},
	}
	for _, tt := range tests {
		if got := sourceName(tt.uri, py, set); got != tt.wantName {
			t.Errorf("sourceName(%s) = %q, want %q", tt.uri, got, tt.wantName)
		}
		p, ok := uriPath(tt.uri)
		if p != tt.wantPath || ok != tt.wantOK {
			t.Errorf("uriPath(%s) = %q, %v; want %q, %v", tt.uri, p, ok, tt.wantPath, tt.wantOK)
		}
	}
}
