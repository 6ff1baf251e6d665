package web

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sandrun/sandrun/executor"
)

// Judge0 compatibility (docs/judge0.md): clients of Judge0 CE set http://HOST:PORT/judge0 as
// their base URL. Submissions are jobs (jobs.go); their token is the job id.

// judge0Lang is one of Judge0 CE's numeric language ids and what serves it here.
type judge0Lang struct {
	ID      int
	Name    string // Judge0's name without its version; ours is added
	Lang    string // sandrun's language id
	Runtime string // the runtime ("" for the language's default, whichever is installed)
}

// judge0Langs maps Judge0 CE's ids onto sandrun's languages. An id whose language is not
// installed here is not listed and is refused.
var judge0Langs = []judge0Lang{
	{45, "Assembly (NASM)", "nasm", ""}, {46, "Bash", "bash", ""}, {47, "Basic", "basic", ""},
	{48, "C (GCC)", "c", "gcc"}, {49, "C (GCC)", "c", "gcc"}, {50, "C (GCC)", "c", "gcc"},
	{51, "C# (Mono)", "csharp", ""}, {52, "C++ (GCC)", "cpp", "gcc"}, {53, "C++ (GCC)", "cpp", "gcc"},
	{54, "C++ (GCC)", "cpp", "gcc"}, {55, "Common Lisp (SBCL)", "commonlisp", ""}, {56, "D", "d", ""},
	{57, "Elixir", "elixir", ""}, {58, "Erlang", "erlang", ""}, {59, "Fortran (GFortran)", "fortran", ""},
	{60, "Go", "go", ""}, {61, "Haskell (GHC)", "haskell", ""}, {62, "Java (OpenJDK)", "java", ""},
	{63, "JavaScript (Node.js)", "javascript", ""}, {64, "Lua", "lua", ""}, {65, "OCaml", "ocaml", ""},
	{66, "Octave", "octave", ""}, {67, "Pascal (FPC)", "pascal", ""}, {68, "PHP", "php", ""},
	{69, "Prolog", "prolog", ""}, {71, "Python", "python", ""}, {72, "Ruby", "ruby", ""},
	{73, "Rust", "rust", ""}, {74, "TypeScript", "typescript", ""}, {75, "C (Clang)", "c", "clang"},
	{76, "C++ (Clang)", "cpp", "clang"}, {77, "COBOL (GnuCOBOL)", "cobol", ""}, {78, "Kotlin", "kotlin", ""},
	{80, "R", "r", ""}, {81, "Scala", "scala", ""}, {82, "SQL (SQLite)", "sqlite", ""}, {83, "Swift", "swift", ""},
	{85, "Perl", "perl", ""}, {86, "Clojure", "clojure", ""}, {87, "F# (.NET)", "fsharp", ""},
	{88, "Groovy", "groovy", ""}, {90, "Dart", "dart", ""}, {91, "Java (JDK)", "java", ""},
	{92, "Python", "python", ""}, {93, "JavaScript (Node.js)", "javascript", ""}, {94, "TypeScript", "typescript", ""},
	{95, "Go", "go", ""}, {97, "JavaScript (Node.js)", "javascript", ""}, {98, "PHP", "php", ""},
	{99, "R", "r", ""}, {100, "Python", "python", ""}, {101, "TypeScript", "typescript", ""},
	{102, "JavaScript (Node.js)", "javascript", ""}, {103, "C (GCC)", "c", "gcc"}, {104, "C (Clang)", "c", "clang"},
	{105, "C++ (GCC)", "cpp", "gcc"}, {106, "Go", "go", ""}, {107, "Go", "go", ""}, {108, "Rust", "rust", ""},
	{109, "Python", "python", ""},
}

// judge0Statuses are Judge0's status ids and descriptions.
var judge0Statuses = []judge0Status{
	{1, "In Queue"}, {2, "Processing"}, {3, "Accepted"}, {4, "Wrong Answer"}, {5, "Time Limit Exceeded"},
	{6, "Compilation Error"}, {7, "Runtime Error (SIGSEGV)"}, {8, "Runtime Error (SIGXFSZ)"},
	{9, "Runtime Error (SIGFPE)"}, {10, "Runtime Error (SIGABRT)"}, {11, "Runtime Error (NZEC)"},
	{12, "Runtime Error (Other)"}, {13, "Internal Error"}, {14, "Exec Format Error"},
}

type judge0Status struct {
	ID          int    `json:"id"`
	Description string `json:"description"`
}

func statusByID(id int) judge0Status { return judge0Statuses[id-1] }

// judge0Submission is POST /judge0/submissions's body (Judge0's names and units). Its numbers
// may come as JSON numbers or, as Judge0 (Rails) casts them, as strings holding one ("71").
type judge0Submission struct {
	SourceCode             *string        `json:"source_code"`
	LanguageID             *judge0Integer `json:"language_id"`
	Stdin                  *string        `json:"stdin"`
	ExpectedOutput         *string        `json:"expected_output"`
	CommandLineArguments   *string        `json:"command_line_arguments"`
	CPUTimeLimit           *judge0Float   `json:"cpu_time_limit"`  // seconds
	CPUExtraTime           *judge0Float   `json:"cpu_extra_time"`  // seconds, accepted and ignored
	WallTimeLimit          *judge0Float   `json:"wall_time_limit"` // seconds
	MemoryLimit            *judge0Float   `json:"memory_limit"`    // KB
	StackLimit             *judge0Float   `json:"stack_limit"`     // KB, accepted and ignored
	MaxFileSize            *judge0Float   `json:"max_file_size"`   // KB
	MaxProcessesAndThreads *judge0Integer `json:"max_processes_and_or_threads"`
	RedirectStderrToStdout *bool          `json:"redirect_stderr_to_stdout"`
	EnableNetwork          *bool          `json:"enable_network"`
	NumberOfRuns           *judge0Integer `json:"number_of_runs"` // accepted; one run
	CallbackURL            *string        `json:"callback_url"`
	CompilerOptions        *string        `json:"compiler_options"`
	// Accepted and ignored, as Judge0 ignores them when not configured.
	EnablePerProcessAndThreadTimeLimit   *bool `json:"enable_per_process_and_thread_time_limit"`
	EnablePerProcessAndThreadMemoryLimit *bool `json:"enable_per_process_and_thread_memory_limit"`
}

// judge0Float is a number of a submission: a JSON number, or a string holding one.
type judge0Float float64

func (f *judge0Float) UnmarshalJSON(b []byte) error {
	v, err := judge0Number(b, false)
	*f = judge0Float(v)
	return err
}

// judge0Integer is an integer of a submission: a JSON integer, or a string holding one.
type judge0Integer int

func (n *judge0Integer) UnmarshalJSON(b []byte) error {
	v, err := judge0Number(b, true)
	*n = judge0Integer(v)
	return err
}

// judge0Number reads a JSON number, or a string holding one, as Judge0's Rails models cast
// their numeric columns. Anything else is a *json.UnmarshalTypeError, which the decoder names
// with its field.
func judge0Number(b []byte, integer bool) (float64, error) {
	text, kind := string(b), "number"
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &text); err != nil {
			return 0, err
		}
		text, kind = strings.TrimSpace(text), "string"
		if text == "" {
			return 0, nil // as Rails casts "" (a form's empty field): no value, the default
		}
	}
	want := reflect.TypeFor[float64]()
	if integer {
		want = reflect.TypeFor[int]()
	}
	v, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) || (integer && (v != math.Trunc(v) || math.Abs(v) > 1<<31)) {
		if kind == "number" {
			kind = "number " + text
		}
		if len(b) > 0 && (b[0] == '{' || b[0] == '[' || b[0] == 't' || b[0] == 'f') {
			kind = map[byte]string{'{': "object", '[': "array", 't': "bool", 'f': "bool"}[b[0]]
		}
		return 0, &json.UnmarshalTypeError{Value: kind, Type: want}
	}
	return v, nil
}

// judge0Error answers as Judge0 does: 422 with {"field": ["sentence"]} for a field, else {"error"}.
func judge0Error(w http.ResponseWriter, status int, field, msg string) {
	if field != "" {
		writeJSON(w, status, map[string][]string{field: {msg}})
		return
	}
	writeJSON(w, status, map[string]string{"error": msg})
}

func (s *Server) judge0RunError(w http.ResponseWriter, r *http.Request, err error) {
	var re *executor.RequestError
	switch {
	case errors.As(err, &re):
		judge0Error(w, http.StatusUnprocessableEntity, judge0Field(re.Field), re.Msg)
	case errors.Is(err, executor.ErrRefused):
		judge0Error(w, http.StatusForbidden, "", err.Error())
	case errors.Is(err, executor.ErrBusy), errors.Is(err, errJobStore):
		w.Header().Set("Retry-After", "1")
		judge0Error(w, http.StatusServiceUnavailable, "", err.Error())
	case errors.Is(err, errElsewhere):
		judge0Error(w, http.StatusConflict, "", err.Error())
	default:
		s.writeRunError(w, r, err)
	}
}

// judge0Field names a sandrun request field as Judge0's client sent it.
func judge0Field(f string) string {
	switch {
	case f == "language" || f == "version":
		return "language_id"
	case strings.HasPrefix(f, "files") || f == "source":
		return "source_code"
	case f == "limits.cpu_time_ms":
		return "cpu_time_limit"
	case f == "limits.wall_time_ms":
		return "wall_time_limit"
	case f == "limits.memory_mib", f == "limits.memory_bytes":
		return "memory_limit"
	case f == "limits.processes":
		return "max_processes_and_or_threads"
	case f == "args":
		return "command_line_arguments"
	case f == "limits.file_bytes":
		return "max_file_size"
	}
	return f
}

// b64 reports whether the request asked for base64 (?base64_encoded=true).
func b64(r *http.Request) bool { return r.URL.Query().Get("base64_encoded") == "true" }

// judge0Decode decodes a text field of a submission: base64 when asked, else as is.
func judge0Decode(r *http.Request, field string, v *string) (string, error) {
	if v == nil {
		return "", nil
	}
	if !b64(r) {
		return *v, nil
	}
	b, err := base64.StdEncoding.DecodeString(*v)
	if err != nil {
		return "", executor.Invalid(field, "%s is not valid base64 (base64_encoded=true)", field)
	}
	return string(b), nil
}

// judge0Request turns a submission into a job's request; the expected output travels beside it.
func (s *Server) judge0Request(r *http.Request, sub judge0Submission) (executor.Request, *string, error) {
	var req executor.Request
	if sub.LanguageID == nil {
		return req, nil, executor.Invalid("language_id", "can't be blank")
	}
	jl, ok := s.judge0Language(r, int(*sub.LanguageID))
	if !ok {
		return req, nil, executor.Invalid("language_id", "language with id %d doesn't exist", *sub.LanguageID)
	}
	if err := s.judge0Limits(sub); err != nil {
		return req, nil, err
	}
	src, err := judge0Decode(r, "source_code", sub.SourceCode)
	if err != nil {
		return req, nil, err
	}
	if sub.SourceCode == nil || src == "" {
		return req, nil, executor.Invalid("source_code", "can't be blank")
	}
	stdin, err := judge0Decode(r, "stdin", sub.Stdin)
	if err != nil {
		return req, nil, err
	}
	var expected *string
	if sub.ExpectedOutput != nil {
		e, err := judge0Decode(r, "expected_output", sub.ExpectedOutput)
		if err != nil {
			return req, nil, err
		}
		expected = &e
	}
	if sub.EnableNetwork != nil && *sub.EnableNetwork {
		return req, nil, executor.Invalid("enable_network", "runs here have no network; leave enable_network false")
	}
	if sub.CompilerOptions != nil && *sub.CompilerOptions != "" {
		return req, nil, executor.Invalid("compiler_options", "this server compiles with each language's own options; leave compiler_options empty")
	}
	var args []string
	if sub.CommandLineArguments != nil {
		if args, err = splitArgs(*sub.CommandLineArguments); err != nil {
			return req, nil, executor.Invalid("command_line_arguments", "%v", err)
		}
	}
	// redirect_stderr_to_stdout: one descriptor for both, so stdout holds them in the order written.
	merge := sub.RedirectStderrToStdout != nil && *sub.RedirectStderrToStdout
	rr := RunRequest{Language: jl.Lang, Runtime: jl.Runtime, MergeOutput: merge, Source: &src, Stdin: stdin, Args: args, Limits: &RunLimits{}}
	if v := sub.CPUTimeLimit; v != nil {
		rr.Limits.CPUTimeMs = int64(math.Ceil(float64(*v) * 1000))
	}
	if v := sub.WallTimeLimit; v != nil {
		rr.Limits.WallTimeMs = int64(math.Ceil(float64(*v) * 1000))
	}
	if v := sub.MemoryLimit; v != nil {
		rr.Limits.MemoryMiB = (int64(math.Ceil(float64(*v))) + 1023) / 1024
	}
	if v := sub.MaxProcessesAndThreads; v != nil {
		rr.Limits.Processes = int64(*v)
	}
	if req, err = s.prepare(r.Context(), rr); err != nil {
		return req, nil, err
	}
	if v := sub.MaxFileSize; v != nil && *v > 0 {
		req.Limits.FileBytes = int64(math.Ceil(float64(*v))) * 1024
	}
	return req, expected, nil
}

// judge0Limits checks a submission's limits in its own units against the server's range, with
// Rails' sentences as Judge0 answers them ({"cpu_time_limit": ["must be less than or equal to
// 30"]}). 0 means the default, as an absent limit.
func (s *Server) judge0Limits(sub judge0Submission) error {
	max := s.opts.MaxLimits
	fileMax := max.FileBytes
	if fileMax == 0 {
		fileMax = executor.MaxLimits().FileBytes
	}
	var procs *judge0Float
	if v := sub.MaxProcessesAndThreads; v != nil {
		f := judge0Float(*v)
		procs = &f
	}
	checks := []struct {
		field    string
		v        *judge0Float
		min, max float64
	}{
		{"cpu_time_limit", sub.CPUTimeLimit, 0, float64(max.CPUTimeMs) / 1000},
		{"wall_time_limit", sub.WallTimeLimit, 0, float64(max.WallTimeMs) / 1000},
		{"memory_limit", sub.MemoryLimit, float64(executor.MinLimits().MemoryBytes >> 10), float64(max.MemoryBytes >> 10)},
		{"max_file_size", sub.MaxFileSize, 0, float64(fileMax >> 10)},
		{"max_processes_and_or_threads", procs, 0, float64(max.Processes)},
	}
	for _, c := range checks {
		switch {
		case c.v == nil || *c.v == 0:
		case float64(*c.v) < c.min || *c.v < 0:
			return executor.Invalid(c.field, "must be greater than or equal to %s", strconv.FormatFloat(c.min, 'f', -1, 64))
		case float64(*c.v) > c.max:
			return executor.Invalid(c.field, "must be less than or equal to %s", strconv.FormatFloat(c.max, 'f', -1, 64))
		}
	}
	return nil
}

// judge0Language finds id among the languages installed here.
func (s *Server) judge0Language(r *http.Request, id int) (judge0Lang, bool) {
	i := slices.IndexFunc(judge0Langs, func(l judge0Lang) bool { return l.ID == id })
	if i < 0 {
		return judge0Lang{}, false
	}
	jl := judge0Langs[i]
	infos, err := s.exec.Languages(r.Context())
	if err != nil {
		return jl, true // the run will say what is wrong
	}
	return jl, slices.ContainsFunc(infos, func(li executor.LanguageInfo) bool {
		return li.ID == jl.Lang && li.Available && runtimeAvailable(li, jl.Runtime)
	})
}

// splitArgs splits a command line as a shell would for words and quotes (no expansions).
func splitArgs(s string) ([]string, error) {
	var args []string
	var cur strings.Builder
	in, quote, esc := false, rune(0), false
	for _, c := range s {
		switch {
		case esc:
			cur.WriteRune(c)
			esc = false
		case c == '\\' && quote != '\'':
			esc, in = true, true
		case quote != 0 && c == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(c)
		case c == '"' || c == '\'':
			quote, in = c, true
		case c == ' ' || c == '\t' || c == '\n':
			if in {
				args = append(args, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(c)
			in = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("a %c quote is not closed", quote)
	}
	if in {
		args = append(args, cur.String())
	}
	return args, nil
}

// judge0Answer is a submission as Judge0 shows it; fields picks what is sent.
type judge0Answer map[string]any

// judge0View builds the answer of job j, with the fields asked for (Judge0's default set when
// fields is empty, everything for "*").
func (s *Server) judge0View(base64Encoded bool, rec jobRecord, fields string) judge0Answer {
	v := rec.view()
	enc := func(t string) any {
		if t == "" {
			return nil
		}
		if base64Encoded {
			return base64.StdEncoding.EncodeToString([]byte(t))
		}
		if !utf8.ValidString(t) {
			return nil
		}
		return t
	}
	all := judge0Answer{"token": v.ID, "status": statusByID(1), "stdout": nil, "stderr": nil,
		"compile_output": nil, "message": nil, "exit_code": nil, "exit_signal": nil, "time": nil,
		"wall_time": nil, "memory": nil, "created_at": v.Created.UTC().Format(time.RFC3339Nano), "finished_at": nil,
		"source_code": nil, "stdin": nil, "language_id": nil, "expected_output": nil}
	var expected *string
	if j0 := rec.Judge0; j0 != nil {
		expected = j0.Expected
		all["language_id"] = j0.LanguageID
		all["source_code"], all["stdin"] = enc(string(j0.Source)), enc(string(j0.Stdin))
	}
	if expected != nil {
		all["expected_output"] = enc(*expected)
	}
	switch v.State {
	case JobRunning:
		all["status"] = statusByID(2)
	case JobDone:
		all["finished_at"] = v.Finished.UTC().Format(time.RFC3339Nano)
		if v.Result == nil {
			// Refused by a pre hook, canceled, or the executor failed: Judge0 has no status for
			// these but Internal Error; the message says which.
			all["status"], all["message"] = statusByID(13), enc(v.Error)
			break
		}
		res := v.Result
		st := judge0StatusOf(res, expected)
		all["status"] = statusByID(st)
		all["stdout"], all["stderr"] = enc(res.Stdout), enc(res.Stderr)
		if res.Compile != nil {
			all["compile_output"] = enc(res.Compile.Stdout + res.Compile.Stderr)
		}
		if st != 3 {
			// The executor's sentence names the Result's field; Judge0's is compile_output.
			all["message"] = enc(strings.ReplaceAll(res.Message, "compile.stderr", "compile_output"))
		}
		if st != 6 {
			all["exit_code"] = res.ExitCode
			if sig := signalNumber(res.Signal); sig > 0 {
				all["exit_signal"], all["exit_code"] = sig, nil
			}
			all["time"] = fmt.Sprintf("%.3f", float64(res.CPUTimeMs)/1000)
			all["wall_time"] = fmt.Sprintf("%.3f", float64(res.WallTimeMs)/1000)
			all["memory"] = res.MemoryKiB
		}
	}
	all["status_id"] = all["status"].(judge0Status).ID // a column of Judge0's submissions
	want := []string{"stdout", "time", "memory", "stderr", "token", "compile_output", "message", "status"}
	switch fields {
	case "":
	case "*":
		return all
	default:
		want = strings.Split(fields, ",")
	}
	out := judge0Answer{}
	for _, f := range want {
		if f = strings.TrimSpace(f); f != "" {
			if v, ok := all[f]; ok {
				out[f] = v
			} else if judge0Unkept[f] {
				out[f] = nil
			}
		}
	}
	return out
}

// judge0Unkept are the fields of a Judge0 submission that this server does not keep (the
// limits and options as sent, Judge0's own bookkeeping): asked for, they are null.
var judge0Unkept = map[string]bool{
	"language": true, "compiler_options": true, "command_line_arguments": true, "number_of_runs": true,
	"cpu_time_limit": true, "cpu_extra_time": true, "wall_time_limit": true, "memory_limit": true,
	"stack_limit": true, "max_processes_and_or_threads": true, "enable_per_process_and_thread_time_limit": true,
	"enable_per_process_and_thread_memory_limit": true, "max_file_size": true, "redirect_stderr_to_stdout": true,
	"callback_url": true, "additional_files": true, "enable_network": true, "started_at": true,
	"queued_at": true, "updated_at": true, "queue_host": true, "execution_host": true,
	"post_execution_filesystem": true,
}

// judge0FieldsOK answers 400 {"error": "invalid fields: [a, b]"}, as Judge0 does, when ?fields
// names a field no submission has, and reports whether the request may go on.
func judge0FieldsOK(w http.ResponseWriter, r *http.Request) bool {
	fields := r.URL.Query().Get("fields")
	if fields == "" || fields == "*" {
		return true
	}
	known := judge0Answer{"token": nil, "status": nil, "stdout": nil, "stderr": nil, "compile_output": nil,
		"message": nil, "exit_code": nil, "exit_signal": nil, "time": nil, "wall_time": nil, "memory": nil,
		"created_at": nil, "finished_at": nil, "source_code": nil, "stdin": nil, "language_id": nil, "expected_output": nil,
		"status_id": nil}
	var bad []string
	for _, f := range strings.Split(fields, ",") {
		if f = strings.TrimSpace(f); f != "" && !judge0Unkept[f] {
			if _, ok := known[f]; !ok {
				bad = append(bad, f)
			}
		}
	}
	if len(bad) > 0 {
		judge0Error(w, http.StatusBadRequest, "", "invalid fields: ["+strings.Join(bad, ", ")+"]")
		return false
	}
	return true
}

// judge0StatusOf is the Judge0 status id of a Result.
func judge0StatusOf(res *executor.Result, expected *string) int {
	switch res.Status {
	case executor.StatusOK:
		if expected != nil && !sameOutput(res.Stdout, *expected) {
			return 4
		}
		return 3
	case executor.StatusCompileError:
		return 6
	case executor.StatusTimeLimit:
		return 5
	case executor.StatusRuntimeError:
		return 11
	case executor.StatusOutputLimit:
		return 8 // Judge0's output is a file: past max_file_size the program gets SIGXFSZ
	case executor.StatusMemoryLimit:
		return 12 // Judge0's isolate kills it (SIGKILL): "Runtime Error (Other)"
	case executor.StatusSignaled:
		switch res.Signal {
		case "SIGSEGV":
			return 7
		case "SIGXFSZ":
			return 8
		case "SIGFPE":
			return 9
		case "SIGABRT":
			return 10
		}
		return 12
	case executor.StatusInternalError:
		return 13
	}
	if res.Status == "wrong_answer" {
		return 4
	}
	return 13
}

// sameOutput compares as the executor compares a case's expected output: trailing white space on
// each line and trailing blank lines do not count.
func sameOutput(got, want string) bool {
	norm := func(s string) string {
		lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
		for i, l := range lines {
			lines[i] = strings.TrimRight(l, " \t\r")
		}
		return strings.TrimRight(strings.Join(lines, "\n"), "\n")
	}
	return norm(got) == norm(want)
}

func signalNumber(name string) int { return signalNumbers[name] } // piston.go's table

// queryBool reports whether the query parameter name is "true".
func queryBool(r *http.Request, name string) bool { return r.URL.Query().Get(name) == "true" }

// runtimeAvailable reports whether li offers runtime installed ("" is the language's default
// runtime, there when the language is available).
func runtimeAvailable(li executor.LanguageInfo, runtime string) bool {
	_, ok := runtimeVersion(li, runtime)
	return ok
}

// runtimeVersion is the version of li's runtime ("" for the default) when it is installed.
func runtimeVersion(li executor.LanguageInfo, runtime string) (string, bool) {
	if runtime == "" {
		return li.Version, li.Available
	}
	for _, rt := range li.Runtimes {
		if rt.Runtime == runtime {
			return rt.Version, rt.Available
		}
	}
	return "", false
}

// fieldError splits a *executor.RequestError into its field and sentence.
func fieldError(err error) (field, msg string, ok bool) {
	var re *executor.RequestError
	if errors.As(err, &re) {
		return re.Field, re.Msg, true
	}
	return "", "", false
}
