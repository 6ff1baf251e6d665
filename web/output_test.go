package web

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestUTF8Splitter(t *testing.T) {
	for _, tc := range []struct {
		name   string
		chunks []string
		want   []string // what next returns for each chunk, then flush
	}{
		{"ascii", []string{"ab", "c"}, []string{"ab", "c", ""}},
		{"split 2-byte", []string{"caf\xc3", "\xa9!"}, []string{"caf", "é!", ""}},
		{"split 4-byte thrice", []string{"\xf0", "\x9f", "\x98", "\x80x"}, []string{"", "", "", "😀x", ""}},
		{"invalid byte", []string{"a\xffb"}, []string{"a\uFFFDb", ""}},
		{"dangling at end", []string{"ok\xe2\x82"}, []string{"ok", "\uFFFD"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var u utf8Splitter
			var got []string
			for _, c := range tc.chunks {
				got = append(got, u.next([]byte(c)))
			}
			got = append(got, u.flush())
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if joined := strings.Join(got, ""); !strings.Contains(strings.Join(tc.chunks, ""), "\xff") && !strings.HasSuffix(tc.name, "end") && joined != strings.Join(tc.chunks, "") {
				t.Errorf("joined %q lost bytes of %q", joined, strings.Join(tc.chunks, ""))
			}
		})
	}
}
