package lsp

import "strings"

// selectLines returns the text r covers. When only blanks precede the selection on its first
// line, they are included, so that a selection starting at the first non-blank character of an
// indented line keeps that line's indentation for dedent.
func selectLines(text string, r textRange) (string, bool) {
	a, b := offset(text, r.Start), offset(text, r.End)
	if b < a {
		return "", false
	}
	lineStart := strings.LastIndexByte(text[:a], '\n') + 1
	if strings.Trim(text[lineStart:a], " \t") == "" {
		a = lineStart
	}
	return text[a:b], true
}

// dedent removes the leading blanks (spaces and tabs) that every non-blank line shares, so that
// an indented selection (a function body in Python) runs at the top level. Blank lines are
// emptied; line endings are kept.
func dedent(text string) string {
	lines := strings.SplitAfter(text, "\n")
	prefix, first := "", true
	for _, l := range lines {
		body := strings.TrimRight(l, "\r\n")
		if strings.Trim(body, " \t") == "" {
			continue
		}
		indent := body[:len(body)-len(strings.TrimLeft(body, " \t"))]
		if first {
			prefix, first = indent, false
			continue
		}
		for !strings.HasPrefix(indent, prefix) {
			prefix = prefix[:len(prefix)-1]
		}
	}
	var b strings.Builder
	b.Grow(len(text))
	for _, l := range lines {
		body := strings.TrimRight(l, "\r\n")
		end := l[len(body):]
		if strings.Trim(body, " \t") == "" {
			b.WriteString(end)
			continue
		}
		b.WriteString(body[len(prefix):])
		b.WriteString(end)
	}
	return b.String()
}
