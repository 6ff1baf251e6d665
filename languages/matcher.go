package languages

import (
	"fmt"
	"regexp"
	"strconv"
)

// Matcher finds problems (compiler errors, runtime tracebacks) in the output of one stage, like
// a VS Code problem matcher. A definition lists them as [[matcher]] tables; package
// languages/diagnose applies them.
//
// Pattern is a Go regexp matched against the stage's whole output (stderr, then stdout), so one
// match may span lines ("(?m)" makes ^ and $ match at line ends). Its named groups give the
// problem; a name may appear more than once, and the first group of that name that took part in
// the match counts:
//
//	file, line                 where (1-based line; file as the tool printed it)
//	column, end_column         1-based columns; end_column is just past the problem
//	last_column                1-based column of the problem's last character (end_column-1)
//	column0, end_column0       0-based columns (OCaml's "characters 10-11")
//	end_line                   the line end_column belongs to, when not line
//	caret                      the blanks before a "^" under a verbatim copy of the line: column
//	                           is their length plus one
//	underline                  a run of "^~" under the problem: end_column is column plus its length
//	strip                      with caret: the blanks before a copy of the line that lost its own
//	                           indentation (Python): the column counts the file's indentation
//	severity                   "error", "warning", "note"…, mapped to error, warning or info
//	message                    the text; every message group that matched is joined by newlines
//	frames                     with Frame: the stack frames of a traceback
//
// With Frame set, Pattern matches a whole traceback: Frame is matched against the text of the
// "frames" group, each match one frame with its own file/line/column groups, and the innermost
// frame in one of the user's files gives the place (Innermost says whether frames are printed
// innermost "first", as Java, Node, Go and Ruby do, or "last", as Python does). A traceback with
// no frame in the user's files yields nothing.
type Matcher struct {
	Stage     string `toml:"stage"`     // "compile" or "run"
	Pattern   string `toml:"pattern"`   // required
	Frame     string `toml:"frame"`     // optional; see above
	Innermost string `toml:"innermost"` // "first" (default) or "last"
	// Severity is the severity when Pattern has no severity group: "error" (default),
	// "warning" or "info".
	Severity string `toml:"severity"`
	// Source names the tool in each problem ("gcc", "python"); "" means the stage's program
	// (Compile[0] or Run[0]), else the language id.
	Source string `toml:"source"`
	// Skip drops problems whose message matches it (a compiler's closing summary line).
	Skip string `toml:"skip"`

	regexps func() matcherRegexps // set by validate; compiled on first use for Load's definitions
}

// matcherRegexps are a Matcher's compiled regexps.
type matcherRegexps struct{ pattern, frame, skip *regexp.Regexp }

// Regexps returns the compiled Pattern, Frame and Skip (nil when empty). A Matcher of a loaded
// definition always has them (Load's are compiled on first use); one that was never validated
// has none.
func (m *Matcher) Regexps() (pattern, frame, skip *regexp.Regexp) {
	if m.regexps == nil {
		return nil, nil, nil
	}
	re := m.regexps()
	return re.pattern, re.frame, re.skip
}

// matcherGroups are the group names a Pattern or Frame may use.
var matcherGroups = map[string]bool{
	"file": true, "line": true, "column": true, "end_line": true, "end_column": true,
	"last_column": true, "column0": true, "end_column0": true, "caret": true, "underline": true, "strip": true,
	"severity": true, "message": true, "frames": true, "": true,
}

// validate checks the fields and compiles the regexps, now when eager, else on first use (see
// Language.validate); i is the matcher's index, for errors, and file its definition's file.
func (m *Matcher) validate(i int, eager bool, file string) error {
	where := "matcher " + strconv.Itoa(i+1)
	if m.Stage != "compile" && m.Stage != "run" {
		return fmt.Errorf("%s: stage %q must be \"compile\" or \"run\"", where, m.Stage)
	}
	switch m.Innermost {
	case "", "first", "last":
	default:
		return fmt.Errorf("%s: innermost %q must be \"first\" or \"last\"", where, m.Innermost)
	}
	switch m.Severity {
	case "", "error", "warning", "info":
	default:
		return fmt.Errorf("%s: severity %q must be \"error\", \"warning\" or \"info\"", where, m.Severity)
	}
	compile := func(field, expr string, need ...string) (*regexp.Regexp, error) {
		re, err := regexp.Compile(expr)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", where, field, err)
		}
		has := map[string]bool{}
		for _, n := range re.SubexpNames() {
			if !matcherGroups[n] {
				return nil, fmt.Errorf("%s: %s: unknown group name %q", where, field, n)
			}
			has[n] = true
		}
		for _, n := range need {
			if !has[n] {
				return nil, fmt.Errorf("%s: %s needs a group named %q", where, field, n)
			}
		}
		return re, nil
	}
	if m.Pattern == "" {
		return fmt.Errorf("%s: pattern is required", where)
	}
	regexps, err := compiled(eager, func() string { return file + ": " + where }, func() (re matcherRegexps, err error) {
		if m.Frame == "" {
			if re.pattern, err = compile("pattern", m.Pattern, "file", "line"); err != nil {
				return re, err
			}
		} else {
			if re.pattern, err = compile("pattern", m.Pattern, "frames"); err != nil {
				return re, err
			}
			if re.frame, err = compile("frame", m.Frame, "file", "line"); err != nil {
				return re, err
			}
		}
		if m.Skip != "" {
			if re.skip, err = compile("skip", m.Skip); err != nil {
				return re, err
			}
		}
		return re, nil
	})
	if err != nil {
		return err
	}
	m.regexps = regexps
	return nil
}
