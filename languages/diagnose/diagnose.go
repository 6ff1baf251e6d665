// Package diagnose turns a run's compiler messages and runtime tracebacks into diagnostics
// (file, line, column, severity, message), using the matchers of the language's definition
// (languages.Matcher).
//
// It is not for running anything or for showing the diagnostics: the executor calls Find once per
// output of a run (compile, run, each case), Merge for the whole run, and puts the answers in the
// Result; the LSP, the page and the CLI show them.
package diagnose

import (
	"bytes"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/sandrun/sandrun/languages"
)

// Severity of a Diagnostic.
type Severity string

// Severities, as in the Result's JSON.
const (
	Error   Severity = "error"
	Warning Severity = "warning"
	Info    Severity = "info"
)

// Diagnostic is one problem in one of the request's files. Lines and columns are 1-based, as
// compilers print them; EndColumn is just past the problem (EndLine, EndColumn equal to Line,
// Column for a point). Column 0 means the tool named only the line (then EndColumn is 0 too).
type Diagnostic struct {
	File      string   `json:"file"` // the request's file name, e.g. "main.c"
	Line      int      `json:"line"`
	Column    int      `json:"column"`
	EndLine   int      `json:"end_line"`
	EndColumn int      `json:"end_column"`
	Severity  Severity `json:"severity"`
	Message   string   `json:"message"`
	Source    string   `json:"source"` // the compiler or runtime: "gcc", "rustc", "python3", "node"
}

// File is one of the request's files: its name, and its text for tools that print a copy of the
// line without its indentation (Python's carets).
type File struct {
	Name    string
	Content []byte
}

// Output is the output of one stage of a run.
type Output struct {
	Stage          string // "compile" or "run", as in languages.Matcher.Stage
	Stdout, Stderr string
}

// WorkDir is where the request's files are inside the sandbox; tools that print absolute paths
// print them under it.
const WorkDir = "/work"

// maxDiagnostics bounds the answer: a compiler that gives up after thousands of errors does not
// need all of them shown.
const maxDiagnostics = 200

// Find returns the problems lang's matchers find in outs, in the order they were printed
// (stderr before stdout; of a long stream only its two ends), for the files named in files (the
// request's file names). Problems in other files (a library, the runtime) are left out, as is a
// second problem on the same line with the same message. It never returns nil.
func Find(lang *languages.Language, files []File, outs ...Output) []Diagnostic {
	req := request{files: files, names: make([]string, len(files))}
	for i, f := range files {
		req.names[i] = f.Name
	}
	out := []Diagnostic{}
	seen := map[string]bool{}
	for _, o := range outs {
		for _, text := range append(window(o.Stderr), window(o.Stdout)...) {
			if text == "" {
				continue
			}
			var found []located
			for i := range lang.Matchers {
				m := &lang.Matchers[i]
				if m.Stage != o.Stage {
					continue
				}
				found = append(found, match(m, text, req, source(lang, m))...)
			}
			sort.SliceStable(found, func(i, j int) bool { return found[i].at < found[j].at })
			for _, f := range found {
				out = add(out, seen, f.Diagnostic)
			}
		}
	}
	return out
}

// Merge joins the answers of Find for several outputs of one run, in order, as one Find over
// all of them would answer: a second problem on the same line with the same message left out,
// at most maxDiagnostics in all. It never returns nil.
func Merge(lists ...[]Diagnostic) []Diagnostic {
	out := []Diagnostic{}
	seen := map[string]bool{}
	for _, l := range lists {
		for _, d := range l {
			out = add(out, seen, d)
		}
	}
	return out
}

// add appends d to out unless out has the same problem (file, line, message) or is full.
func add(out []Diagnostic, seen map[string]bool, d Diagnostic) []Diagnostic {
	key := d.File + "\x00" + strconv.Itoa(d.Line) + "\x00" + d.Message
	if seen[key] || len(out) >= maxDiagnostics {
		return out
	}
	seen[key] = true
	return append(out, d)
}

// window is the part of a stream worth reading: all of it up to 2×edge bytes, else its first
// and last edge bytes cut at line ends (a compiler's first errors, a traceback at the end), so a
// program that fills its output limit costs little to read.
func window(text string) []string {
	if len(text) <= 2*edge {
		return []string{text}
	}
	head := text[:edge]
	if i := strings.LastIndexByte(head, '\n'); i >= 0 {
		head = head[:i+1]
	}
	tail := text[len(text)-edge:]
	if i := strings.IndexByte(tail, '\n'); i >= 0 {
		tail = tail[i+1:]
	}
	return []string{head, tail}
}

// edge bounds what window reads at each end of a long stream.
const edge = 64 << 10

// request is the request's files, and their names for resolve.
type request struct {
	files []File
	names []string
}

// indent returns the blanks that start line (1-based) of the file called name, and whether the
// request has that line.
func (r request) indent(name string, line int) (int, bool) {
	for _, f := range r.files {
		if f.Name != name {
			continue
		}
		text := f.Content
		for i := 1; i < line; i++ {
			j := bytes.IndexByte(text, '\n')
			if j < 0 {
				return 0, false
			}
			text = text[j+1:]
		}
		n := 0
		for n < len(text) && (text[n] == ' ' || text[n] == '\t') {
			n++
		}
		return n, true
	}
	return 0, false
}

// located is a Diagnostic and the offset in the output where it was printed.
type located struct {
	Diagnostic
	at int
}

// match applies one matcher to text.
func match(m *languages.Matcher, text string, req request, src string) []located {
	pattern, frame, skip := m.Regexps()
	if pattern == nil {
		return nil
	}
	var out []located
	for _, loc := range pattern.FindAllStringSubmatchIndex(text, -1) {
		g := groups{re: pattern, text: text, loc: loc}
		d := Diagnostic{Severity: severity(g.get("severity"), m.Severity), Message: g.message(), Source: src}
		place := g
		if frame != nil {
			var ok bool
			if place, ok = innermost(frame, g.get("frames"), req.names, m.Innermost == "last"); !ok {
				continue
			}
		}
		if !place.position(&d, req) {
			continue
		}
		if skip != nil && skip.MatchString(d.Message) {
			continue
		}
		out = append(out, located{d, loc[0]})
	}
	return out
}

// innermost finds the innermost frame in one of files among the frames in text.
func innermost(frame *regexp.Regexp, text string, files []string, last bool) (groups, bool) {
	all := frame.FindAllStringSubmatchIndex(text, -1)
	for i := range all {
		if last {
			i = len(all) - 1 - i
		}
		g := groups{re: frame, text: text, loc: all[i]}
		if resolve(g.get("file"), files) != "" {
			return g, true
		}
	}
	return groups{}, false
}

// groups reads the named groups of one match.
type groups struct {
	re   *regexp.Regexp
	text string
	loc  []int
}

// get returns the first group called name that took part in the match ("" if none did).
func (g groups) get(name string) string {
	s, _ := g.lookup(name)
	return s
}

func (g groups) lookup(name string) (string, bool) {
	if g.re == nil {
		return "", false
	}
	for i, n := range g.re.SubexpNames() {
		if n == name && g.loc[2*i] >= 0 {
			return g.text[g.loc[2*i]:g.loc[2*i+1]], true
		}
	}
	return "", false
}

func (g groups) num(name string) int {
	n, err := strconv.Atoi(strings.TrimSpace(g.get(name)))
	if err != nil || n < 0 {
		return -1
	}
	return n
}

// message joins every message group that matched, one trimmed line each, blank lines dropped.
func (g groups) message() string {
	var lines []string
	for i, n := range g.re.SubexpNames() {
		if n != "message" || g.loc[2*i] < 0 {
			continue
		}
		for _, l := range strings.Split(g.text[g.loc[2*i]:g.loc[2*i+1]], "\n") {
			if l = strings.TrimSpace(l); l != "" {
				lines = append(lines, l)
			}
		}
	}
	return strings.Join(lines, "\n")
}

// position fills d's file, lines and columns from the match; false when the file is not one of
// files or the line is missing.
func (g groups) position(d *Diagnostic, req request) bool {
	d.File = resolve(g.get("file"), req.names)
	d.Line = g.num("line")
	if d.File == "" || d.Line < 1 {
		return false
	}
	d.Column = 0
	switch {
	case g.num("column") > 0:
		d.Column = g.num("column")
	case g.num("column0") >= 0:
		d.Column = g.num("column0") + 1
	default:
		c, ok := g.lookup("caret")
		if !ok {
			break
		}
		d.Column = len(c) + 1
		if strip, ok := g.lookup("strip"); ok {
			// The tool copied the line without its indentation, after strip: the caret's column
			// in the file needs the line's own indentation.
			in, ok := req.indent(d.File, d.Line)
			if !ok || len(c) < len(strip) {
				d.Column = 0
				break
			}
			d.Column = len(c) - len(strip) + in + 1
		}
	}
	d.EndLine, d.EndColumn = d.Line, d.Column
	if n := g.num("end_line"); n >= d.Line {
		d.EndLine = n
	}
	switch {
	case d.Column == 0:
	case g.num("end_column") > 0:
		d.EndColumn = g.num("end_column")
	case g.num("last_column") > 0:
		d.EndColumn = g.num("last_column") + 1
	case g.num("end_column0") >= 0:
		d.EndColumn = g.num("end_column0") + 1
	case g.get("underline") != "":
		d.EndColumn = d.Column + len(g.get("underline"))
	}
	if d.EndLine == d.Line && d.EndColumn < d.Column {
		d.EndColumn = d.Column
	}
	return true
}

// resolve maps a file name as a tool printed it ("main.c", "./main.go", "/work/main.py",
// "Main.java" for a file in a folder) to the request's file name, or "" when it names none of
// them.
func resolve(name string, files []string) string {
	if name == "" {
		return ""
	}
	name = strings.TrimPrefix(name, "file://")
	if rest, ok := strings.CutPrefix(name, WorkDir+"/"); ok {
		name = rest
	}
	name = path.Clean(name)
	for _, f := range files {
		if f == name {
			return f
		}
	}
	if strings.Contains(name, "/") {
		return ""
	}
	found := ""
	for _, f := range files {
		if path.Base(f) == name {
			if found != "" {
				return "" // ambiguous
			}
			found = f
		}
	}
	return found
}

// severity maps a tool's word ("fatal error", "Warning", "note") to a Severity; def is the
// matcher's default.
func severity(word, def string) Severity {
	w := strings.ToLower(strings.TrimSpace(word))
	switch {
	case w == "":
		if def != "" {
			return Severity(def)
		}
		return Error
	case strings.Contains(w, "warn"):
		return Warning
	case w == "note" || w == "info" || w == "hint" || w == "help" || w == "notice" || w == "deprecated":
		return Info
	}
	return Error
}

// source names the tool of m's stage.
func source(lang *languages.Language, m *languages.Matcher) string {
	if m.Source != "" {
		return m.Source
	}
	argv := lang.Run
	if m.Stage == "compile" {
		argv = lang.Compile
	}
	if len(argv) > 0 && !strings.ContainsAny(argv[0], "{/") {
		return argv[0]
	}
	return lang.ID
}
