package lsp

import (
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/languages"
)

// maxSource bounds a file read from disk (the executor refuses bigger sources anyway).
const maxSource = 16 << 20

// runArgs is the argument of sandrun.run (and the run options of sandrun.watch).
type runArgs struct {
	URI        string     `json:"uri"`
	LanguageID string     `json:"languageId,omitempty"`
	Text       *string    `json:"text,omitempty"`
	Range      *textRange `json:"range,omitempty"`
	Stdin      *string    `json:"stdin,omitempty"`
	Args       []string   `json:"args,omitempty"`
	// Interactive keeps the program's stdin open after Stdin while it runs, fed by sandrun.stdin
	// (sandrun.run only).
	Interactive bool `json:"interactive,omitempty"`
	// SeparateStreams keeps stdout and stderr apart (two pipes, sandrun/output tells them apart,
	// their relative order a race). By default the program gets one descriptor for both, so the
	// panel shows exactly the order it wrote, all of it as stream "stdout".
	SeparateStreams bool `json:"separateStreams,omitempty"`
}

// prepare turns a run's arguments into a job: the text (args.Text, else the open buffer, else
// the file on disk), cut to args.Range and dedented when a non-empty range is given, the
// language, and the executor request with the limits from the settings.
func (s *Server) prepare(a runArgs, trigger string) (job, error) {
	if a.URI == "" {
		return job{}, invalidParams(`"uri" is missing: pass the document's URI, e.g. "file:///home/me/hello.py"`)
	}
	doc, open := s.docs.get(a.URI)
	var text string
	switch {
	case a.Text != nil:
		text = *a.Text
	case open:
		text = doc.text
	default:
		data, err := readURI(a.URI)
		if err != nil {
			return job{}, invalidParams("%s is not open in the editor and cannot be read from disk: %v; open it (textDocument/didOpen) or pass \"text\"", a.URI, err)
		}
		text = string(data)
	}
	langID := a.LanguageID
	if langID == "" {
		langID = doc.languageID
	}
	lang, err := s.detect(a.URI, langID, text)
	if err != nil {
		return job{}, err
	}
	src, selection, at := text, false, origin{}
	if a.Range != nil && !a.Range.empty() {
		sel, ok := selectLines(text, *a.Range)
		if !ok {
			return job{}, invalidParams("range %s ends before it starts", a.Range)
		}
		if strings.TrimSpace(sel) == "" {
			return job{}, invalidParams("the selection %s holds no code: select some lines, or send no range to run the whole document", a.Range)
		}
		src, selection = dedent(sel), true
		at = selectionOrigin(text, *a.Range, sel, src)
	}
	st := s.settings.get()
	req := executor.Request{
		Language: lang.ID,
		Files:    []executor.File{{Name: sourceName(a.URI, lang, s.langs), Content: []byte(src)}},
		Args:     a.Args,
		Limits:   executor.Limits{CPUTimeMs: st.TimeLimit.Milliseconds(), MemoryBytes: st.MemoryLimit},
		Runtime:  st.Runtime[lang.ID],
		// One stream in the order the program wrote it, as in a terminal (see runArgs).
		MergeOutput: !a.SeparateStreams,
	}
	if req.Runtime == "" && !lang.Default() {
		req.Runtime = lang.Runtime // a #! line named the runtime (#!/usr/bin/env bun)
	}
	if a.Stdin != nil {
		req.Stdin = []byte(*a.Stdin)
	}
	return job{uri: a.URI, lang: lang, req: req, trigger: trigger, selection: selection, text: text, origin: at}, nil
}

// detect picks the language: from languageId (VS Code's id, or a sandrun id or alias), else
// the file's extension, else a shebang line.
func (s *Server) detect(uri, languageID, text string) (*languages.Language, error) {
	if languageID != "" {
		if l, ok := s.langs.ByVSCodeID(languageID); ok {
			return l, nil
		}
	}
	name := uriName(uri)
	if l, ok := s.langs.ByExtension(name); ok {
		return l, nil
	}
	if l, ok := s.langs.ByShebang([]byte(text)); ok {
		return l, nil
	}
	var tried []string
	if languageID != "" {
		tried = append(tried, fmt.Sprintf("languageId %q", languageID))
	}
	if ext := path.Ext(name); ext != "" {
		tried = append(tried, fmt.Sprintf("extension %q", ext))
	} else {
		tried = append(tried, "no file extension")
	}
	tried = append(tried, "no known shebang line")
	return nil, invalidParams("cannot tell which language %s is in (%s): pass \"languageId\" (a VS Code language id or sandrun language such as python or cpp; \"sandrun languages\" lists them), give the file a known extension, or start it with a shebang line such as \"#!/usr/bin/env python3\"",
		uri, strings.Join(tried, ", "))
}

// sourceName is the name the source runs as: the document's own name when its extension
// belongs to lang (Java wants Main.java for class Main), else the language's default name.
func sourceName(uri string, lang *languages.Language, set *languages.Set) string {
	name := uriName(uri)
	if l, ok := set.ByExtension(name); ok && l == lang && name != path.Ext(name) && validName(name) {
		return name
	}
	if lang.SourceFile != "" {
		return lang.SourceFile
	}
	ext := ""
	if len(lang.Extensions) > 0 {
		ext = lang.Extensions[0]
	}
	return "main" + ext
}

// validName accepts names the executor accepts: printable, no slash, not "." or "..".
func validName(name string) bool {
	if name == "." || name == ".." || len(name) > 255 || !utf8.ValidString(name) || strings.ContainsAny(name, "/\\") {
		return false
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

// uriName is the last path element of a URI ("file:///a/b.py" → "b.py", "untitled:Untitled-1"
// → "Untitled-1").
func uriName(uri string) string {
	u, err := url.Parse(uri)
	if err != nil {
		return ""
	}
	p := u.Path
	if p == "" {
		p = u.Opaque
	}
	return path.Base(p)
}

// uriPath is the local path of a file: URI; ok is false for other schemes.
func uriPath(uri string) (string, bool) {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "file" || u.Path == "" {
		return "", false
	}
	if u.Host != "" && u.Host != "localhost" {
		return "", false
	}
	return filepath.FromSlash(u.Path), true
}

// readURI reads a file: URI from disk, at most maxSource bytes.
func readURI(uri string) ([]byte, error) {
	p, ok := uriPath(uri)
	if !ok {
		return nil, fmt.Errorf("only file: URIs can be read from disk")
	}
	return readSource(p)
}

func readSource(p string) ([]byte, error) {
	// Stat first: opening a FIFO would block until someone writes to it.
	if fi, err := os.Stat(p); err != nil {
		return nil, err
	} else if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", p)
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxSource+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxSource {
		return nil, fmt.Errorf("%s is larger than %d MiB", p, maxSource>>20)
	}
	return data, nil
}
