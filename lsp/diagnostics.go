package lsp

import (
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/languages/diagnose"
)

// MethodPublishDiagnostics is the notification that puts a run's problems under the code.
const MethodPublishDiagnostics = "textDocument/publishDiagnostics"

// diagnosticSource is the LSP Diagnostic.source of every diagnostic the server publishes; the
// compiler or runtime that printed it ("gcc", "python3") is its code.
const diagnosticSource = "sandrun"

// PublishDiagnosticsParams is textDocument/publishDiagnostics.
type PublishDiagnosticsParams struct {
	URI         string       `json:"uri"`
	Version     *int         `json:"version,omitempty"`
	Diagnostics []Diagnostic `json:"diagnostics"`
}

// Diagnostic is an LSP Diagnostic (0-based lines, UTF-16 characters).
type Diagnostic struct {
	Range    textRange `json:"range"`
	Severity int       `json:"severity"` // 1 error, 2 warning, 3 information
	Code     string    `json:"code,omitempty"`
	Source   string    `json:"source"`
	Message  string    `json:"message"`
}

// origin places a run's source in its document: a selection starts at line (0-based), its
// first line lost first bytes before the selection's start, and dedent took indent bytes from
// each of its non-blank lines. The zero origin is a whole document.
type origin struct {
	line, first, indent int
}

// selectionOrigin returns where sel (cut from text by r) and its dedented form src sit in text.
func selectionOrigin(text string, r textRange, sel, src string) origin {
	a := offset(text, r.Start)
	lineStart := strings.LastIndexByte(text[:a], '\n') + 1
	o := origin{line: r.Start.Line}
	if strings.Trim(text[lineStart:a], " \t") != "" {
		o.first = a - lineStart
	}
	o.indent = len(firstNonBlank(sel)) - len(firstNonBlank(src))
	return o
}

func firstNonBlank(text string) string {
	for _, l := range strings.Split(text, "\n") {
		if strings.Trim(l, " \t\r") != "" {
			return l
		}
	}
	return ""
}

// published remembers which documents have diagnostics showing, so that a clean run or closing
// the document clears them and nothing else is sent.
type published struct {
	mu   sync.Mutex
	uris map[string]bool
}

// publishRun sends the run's diagnostics for j's document, replacing the previous run's (an
// empty list clears them). Diagnostics in other files than the run's are not shown.
func (s *Server) publishRun(j job, res executor.Result) {
	main := mainName(j.req)
	src := ""
	if len(j.req.Files) > 0 {
		src = string(j.req.Files[0].Content)
	}
	srcLines, docLines := strings.Split(src, "\n"), strings.Split(j.text, "\n")
	out := []Diagnostic{}
	for _, d := range res.Diagnostics {
		if d.File != main || d.Line < 1 {
			continue
		}
		out = append(out, Diagnostic{
			Range:    j.origin.rangeOf(d, srcLines, docLines),
			Severity: severity(d.Severity),
			Code:     d.Source,
			Source:   diagnosticSource,
			Message:  d.Message,
		})
	}
	s.publish(j.uri, out)
}

// publish sends diagnostics for uri unless it would clear a document that shows none.
func (s *Server) publish(uri string, diags []Diagnostic) {
	s.published.mu.Lock()
	had := s.published.uris[uri]
	if len(diags) > 0 {
		if s.published.uris == nil {
			s.published.uris = map[string]bool{}
		}
		s.published.uris[uri] = true
	} else {
		delete(s.published.uris, uri)
	}
	s.published.mu.Unlock()
	if !had && len(diags) == 0 {
		return
	}
	if diags == nil {
		diags = []Diagnostic{} // an empty array clears them; LSP has no null here
	}
	p := PublishDiagnosticsParams{URI: uri, Diagnostics: diags}
	if doc, ok := s.docs.get(uri); ok {
		v := doc.version
		p.Version = &v
	}
	s.notify(MethodPublishDiagnostics, p)
}

func severity(s diagnose.Severity) int {
	switch s {
	case diagnose.Warning:
		return 2
	case diagnose.Info:
		return 3
	}
	return 1
}

// rangeOf turns a Diagnostic of the run's source (1-based, columns in characters) into a range
// of the document. Without a column it covers the line from its first non-blank character.
func (o origin) rangeOf(d diagnose.Diagnostic, src, doc []string) textRange {
	if d.Column == 0 {
		line := o.line + d.Line - 1
		text := lineAt(doc, line)
		indent := len(text) - len(strings.TrimLeft(text, " \t"))
		return textRange{Start: position{line, utf16Len(text[:indent])}, End: position{line, utf16Len(text)}}
	}
	start := o.position(src, doc, d.Line, d.Column)
	end := start
	if d.EndLine > d.Line || d.EndColumn > d.Column {
		end = o.position(src, doc, d.EndLine, d.EndColumn)
	}
	return textRange{Start: start, End: end}
}

// position maps a 1-based line and character column of the source to the document.
func (o origin) position(src, doc []string, line, col int) position {
	sl := strings.TrimSuffix(lineAt(src, line-1), "\r")
	b := runeOffset(sl, col-1)
	if line == 1 {
		b += o.first
	}
	if strings.Trim(sl, " \t") != "" {
		b += o.indent
	}
	dl := o.line + line - 1
	text := strings.TrimSuffix(lineAt(doc, dl), "\r")
	b = min(b, len(text))
	for b > 0 && b < len(text) && !utf8.RuneStart(text[b]) {
		b--
	}
	return position{Line: dl, Character: utf16Len(text[:b])}
}

func lineAt(lines []string, i int) string {
	if i < 0 || i >= len(lines) {
		return ""
	}
	return lines[i]
}

// runeOffset is the byte offset of the n-th character of s (len(s) past its end).
func runeOffset(s string, n int) int {
	for i := range s {
		if n <= 0 {
			return i
		}
		n--
	}
	return len(s) + max(n, 0)
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}
