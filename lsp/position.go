package lsp

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// position is an LSP Position: a zero-based line and a character offset in UTF-16 code units.
type position struct {
	Line      int `json:"line"`
	Character int `json:"character"`
}

// textRange is an LSP Range; End is exclusive.
type textRange struct {
	Start position `json:"start"`
	End   position `json:"end"`
}

func (r textRange) empty() bool { return r.Start == r.End }

func (r textRange) String() string {
	return fmt.Sprintf("%d:%d-%d:%d", r.Start.Line, r.Start.Character, r.End.Line, r.End.Character)
}

// offset returns the byte offset of p in text. A line past the end means the end of text; a
// character past the end of its line means the end of that line (as LSP asks).
func offset(text string, p position) int {
	if p.Line < 0 {
		return 0
	}
	start := 0
	for range p.Line {
		i := strings.IndexByte(text[start:], '\n')
		if i < 0 {
			return len(text)
		}
		start += i + 1
	}
	end := strings.IndexByte(text[start:], '\n')
	if end < 0 {
		end = len(text)
	} else {
		end += start
		if end > start && text[end-1] == '\r' {
			end--
		}
	}
	units, i := 0, start
	for i < end && units < p.Character {
		r, size := utf8.DecodeRuneInString(text[i:end])
		if r >= 0x10000 {
			units += 2
		} else {
			units++
		}
		i += size
	}
	return i
}

// replace applies one incremental edit.
func replace(text string, r textRange, with string) (string, error) {
	a, b := offset(text, r.Start), offset(text, r.End)
	if b < a {
		return "", fmt.Errorf("edit range %s ends before it starts", r)
	}
	return text[:a] + with + text[b:], nil
}
