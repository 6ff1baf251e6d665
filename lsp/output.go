package lsp

import (
	"strings"
	"unicode/utf8"
)

// utf8Stream turns chunks of a byte stream into valid UTF-8 strings without breaking a
// character split between two chunks: an incomplete sequence at a chunk's end waits for the
// next chunk. Bytes that are invalid on their own become U+FFFD.
type utf8Stream struct{ pending []byte }

// next returns what can be shown of the stream so far.
func (u *utf8Stream) next(chunk []byte) string {
	data := append(u.pending, chunk...)
	cut := completeLen(data)
	u.pending = append([]byte(nil), data[cut:]...)
	return strings.ToValidUTF8(string(data[:cut]), "\uFFFD")
}

// flush returns what was held back (an incomplete sequence at the end of the stream).
func (u *utf8Stream) flush() string {
	data := u.pending
	u.pending = nil
	return strings.ToValidUTF8(string(data), "\uFFFD")
}

// completeLen is the length of data without a trailing incomplete UTF-8 sequence.
func completeLen(data []byte) int {
	n := len(data)
	for i := n - 1; i >= 0 && i >= n-utf8.UTFMax+1; i-- {
		c := data[i]
		if c < utf8.RuneSelf {
			return n
		}
		if !utf8.RuneStart(c) {
			continue // a continuation byte: look further back for its lead
		}
		need := 0
		switch {
		case c&0xE0 == 0xC0:
			need = 2
		case c&0xF0 == 0xE0:
			need = 3
		case c&0xF8 == 0xF0:
			need = 4
		}
		if n-i < need {
			return i
		}
		return n
	}
	return n
}
