package web

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"

	"github.com/sandrun/sandrun/executor"
)

// This file is the Piston v2 compatibility layer (github.com/engineer-man/piston, docs/api-v2.md
// and api/src/api/v2.js): the same routes, request fields, answers and error sentences, so that
// Piston clients work unchanged. Errors are 400 {"message": "..."} as Piston sends them.

// pistonRuntime is one entry of GET /api/v2/runtimes.
type pistonRuntime struct {
	Language string   `json:"language"`
	Version  string   `json:"version"`
	Aliases  []string `json:"aliases"`
	Runtime  string   `json:"runtime,omitempty"`
}

// handleRuntimes answers GET /api/v2/runtimes: one entry per installed runtime (as Piston
// lists only installed runtimes), each with its runtime's name as Piston's "runtime" field
// ("node", "deno", "gcc"). A runtime other than the language's default lists its own aliases.
func (s *Server) handleRuntimes(w http.ResponseWriter, r *http.Request) {
	infos, err := s.exec.Languages(r.Context())
	if err != nil {
		s.writeRunError(w, r, err)
		return
	}
	out := []pistonRuntime{}
	for _, info := range infos {
		rts := info.Runtimes
		if len(rts) == 0 {
			rts = []executor.RuntimeInfo{{Runtime: info.Runtime, Version: info.Version, Default: true,
				Available: info.Available}}
		}
		for _, rt := range rts {
			if !rt.Available {
				continue
			}
			aliases := rt.Aliases
			if rt.Default {
				aliases = info.Aliases
			}
			if aliases == nil {
				aliases = []string{}
			}
			out = append(out, pistonRuntime{Language: info.ID, Version: rt.Version, Aliases: aliases, Runtime: rt.Runtime})
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// pistonResponse is the answer of POST /api/v2/execute.
type pistonResponse struct {
	Language string       `json:"language"`
	Version  string       `json:"version"`
	Run      *pistonStage `json:"run"`
	Compile  *pistonStage `json:"compile,omitempty"`
}

// pistonStage is one stage's outcome. Code is null when a signal ended the stage, Signal null
// when it exited; Status and Message are null when it exited 0.
type pistonStage struct {
	Stdout   string  `json:"stdout"`
	Stderr   string  `json:"stderr"`
	Output   string  `json:"output"`
	Code     *int    `json:"code"`
	Signal   *string `json:"signal"`
	Message  *string `json:"message"`
	Status   *string `json:"status"`
	CPUTime  int64   `json:"cpu_time"`  // ms
	WallTime int64   `json:"wall_time"` // ms
	Memory   int64   `json:"memory"`    // bytes, peak
}

// handleExecute answers POST /api/v2/execute.
func (s *Server) handleExecute(w http.ResponseWriter, r *http.Request) {
	var body map[string]any
	if err := decodeJSON(w, r, &body, false); err != nil {
		writeDecodeError(w, r, err)
		return
	}
	req, err := s.pistonRequest(r, body)
	if err != nil {
		s.writeRunError(w, r, err)
		return
	}
	out := newOutputs()
	res, err := s.run(withClient(r), req, out.add)
	if err != nil {
		s.writeRunError(w, r, pistonFieldError(err))
		return
	}
	ans := pistonAnswer(res, out)
	var big []*string
	for _, st := range []*pistonStage{ans.Run, ans.Compile} {
		if st != nil {
			big = append(big, &st.Stdout, &st.Stderr, &st.Output)
		}
	}
	writeStreaming(w, http.StatusOK, ans, big)
}

// pistonRequest checks a Piston request in Piston's order, with Piston's sentences, and builds
// the executor.Request.
func (s *Server) pistonRequest(r *http.Request, body map[string]any) (executor.Request, error) {
	var req executor.Request
	language, ok := body["language"].(string)
	if !ok || language == "" {
		return req, executor.Invalid("language", "language is required as a string")
	}
	version, ok := body["version"].(string)
	if !ok || version == "" {
		return req, executor.Invalid("version", "version is required as a string")
	}
	files, ok := body["files"].([]any)
	if !ok {
		return req, executor.Invalid("files", "files is required as an array")
	}
	for i, f := range files {
		m, _ := f.(map[string]any)
		if _, ok := m["content"].(string); !ok {
			return req, executor.Invalid(fmt.Sprintf("files[%d].content", i), "files[%d].content is required as a string", i)
		}
	}
	info, err := s.resolveLanguage(r.Context(), language, "", version)
	if err != nil {
		var re *executor.RequestError
		if errors.As(err, &re) {
			return req, executor.Invalid(re.Field, "%s-%s runtime is unknown", language, version)
		}
		return req, err
	}
	req.Language, req.Version, req.Runtime = info.ID, info.Version, info.Runtime
	if err := s.pistonFiles(&req, files); err != nil {
		return req, err
	}
	if err := s.pistonLimits(&req, body); err != nil {
		return req, err
	}
	stdin, ok := body["stdin"].(string)
	if !ok && body["stdin"] != nil {
		return req, executor.Invalid("stdin", "If specified, stdin must be a string")
	}
	if !strings.HasSuffix(stdin, "\n") {
		stdin += "\n" // Piston ends stdin with a newline, always
	}
	req.Stdin = []byte(stdin)
	req.OutputBudget = s.opts.OutputBudget
	args, ok := body["args"].([]any)
	if !ok && body["args"] != nil {
		return req, executor.Invalid("args", "If specified, args must be an array of strings")
	}
	for i, a := range args {
		s, ok := a.(string)
		if !ok {
			return req, executor.Invalid(fmt.Sprintf("args[%d]", i), "args[%d] must be a string", i)
		}
		req.Args = append(req.Args, s)
	}
	// An extension to Piston: "merge_output": true gives the program one descriptor for stdout
	// and stderr, so "output" is exactly the order it wrote (stdout then holds it all, stderr "").
	merge, ok := body["merge_output"].(bool)
	if !ok && body["merge_output"] != nil {
		return req, executor.Invalid("merge_output", "If specified, merge_output must be true or false")
	}
	req.MergeOutput = merge
	return req, nil
}

// pistonFiles decodes the files. Like Piston, the first utf8 file is the one run, an unknown
// encoding counts as utf8, and an unnamed file gets a name (here the language's usual name for
// the file run, so compilers recognise it, and "file<i>.code" for the others).
func (s *Server) pistonFiles(req *executor.Request, files []any) error {
	for i, f := range files {
		m := f.(map[string]any) // checked by the caller
		content := m["content"].(string)
		enc, _ := m["encoding"].(string)
		if enc != "base64" && enc != "hex" {
			enc = "utf8"
		}
		data, cerr := decodeContent(content, enc)
		if cerr != nil {
			return executor.Invalid(fmt.Sprintf("files[%d].%s", i, cerr.field), "files[%d].%s %s", i, cerr.field, cerr.msg)
		}
		name, _ := m["name"].(string)
		if name == "" {
			name = fmt.Sprintf("file%d.code", i)
			if enc == "utf8" && req.Main == "" {
				name = s.sourceName(req.Language)
			}
		}
		if enc == "utf8" && req.Main == "" {
			req.Main = name
		}
		req.Files = append(req.Files, executor.File{Name: name, Content: data})
	}
	if req.Main == "" {
		return executor.Invalid("files", "files must include at least one utf8 encoded file")
	}
	return nil
}

// pistonLimits reads the six limit fields. Absent, null, 0 and -1 mean the default (Piston's
// documented "-1 = no limit" becomes "the server's default": there is always a limit here).
func (s *Server) pistonLimits(req *executor.Request, body map[string]any) error {
	max := s.opts.MaxLimits
	minMem := executor.MinLimits().MemoryBytes // the least a sandbox runs in
	fields := []struct {
		name string
		min  int64
		max  int64
		set  func(int64)
	}{
		{"compile_memory_limit", minMem, max.MemoryBytes, func(v int64) { req.CompileLimits.MemoryBytes = v }},
		{"run_memory_limit", minMem, max.MemoryBytes, func(v int64) { req.Limits.MemoryBytes = v }},
		{"compile_timeout", 0, max.WallTimeMs, func(v int64) { req.CompileLimits.WallTimeMs = v }},
		{"run_timeout", 0, max.WallTimeMs, func(v int64) { req.Limits.WallTimeMs = v }},
		{"compile_cpu_time", 0, max.CPUTimeMs, func(v int64) { req.CompileLimits.CPUTimeMs = v }},
		{"run_cpu_time", 0, max.CPUTimeMs, func(v int64) { req.Limits.CPUTimeMs = v }},
	}
	for _, f := range fields {
		raw, present := body[f.name]
		if !present || raw == nil || raw == false || raw == "" {
			continue
		}
		v, ok := raw.(float64)
		switch {
		case !ok:
			return executor.Invalid(f.name, "If specified, %s must be a number", f.name)
		case v == 0 || v == -1:
			continue
		case v > float64(f.max):
			return executor.Invalid(f.name, "%s cannot exceed the configured limit of %d", f.name, f.max)
		case v < 0:
			return executor.Invalid(f.name, "%s must be non-negative", f.name)
		case v < float64(f.min):
			return executor.Invalid(f.name, "%s must be at least %d (%s)", f.name, f.min, executor.FormatBytes(f.min))
		}
		f.set(int64(math.Ceil(v)))
	}
	return nil
}

// pistonAnswer shapes a Result as Piston does. When compilation failed there is no run stage,
// and Piston repeats the compile stage as "run" for older clients.
func pistonAnswer(res executor.Result, out *outputs) pistonResponse {
	ans := pistonResponse{Language: res.Language, Version: res.Version}
	if res.Compile != nil {
		ans.Compile = pistonStageOf(res.Compile, out.text(executor.StageCompile, res.Compile))
	}
	if res.Status == executor.StatusCompileError && ans.Compile != nil {
		ans.Run = ans.Compile
		return ans
	}
	ans.Run = pistonStageOf(&res, out.text(executor.StageRun, &res))
	return ans
}

// pistonStageOf maps one stage's Result to Piston's fields and status codes (isolate's: RE
// runtime error, SG signal, TO timeout, XX internal; Piston's OL and EL for output length).
func pistonStageOf(res *executor.Result, output string) *pistonStage {
	st := &pistonStage{
		Stdout: res.Stdout, Stderr: res.Stderr, Output: output,
		CPUTime: res.CPUTimeMs, WallTime: res.WallTimeMs, Memory: res.MemoryKiB * 1024,
	}
	ptr := func(s string) *string { return &s }
	code := res.ExitCode
	status, message := "", res.Message
	signal := res.Signal
	switch res.Status {
	case executor.StatusOK:
		st.Code = &code
		return st
	case executor.StatusRuntimeError, executor.StatusCompileError:
		status, st.Code, signal = "RE", &code, ""
		message = fmt.Sprintf("Exited with error status %d", code) // isolate's words, as Piston shows them
	case executor.StatusSignaled:
		status = "SG"
		if n, ok := signalNumbers[signal]; ok {
			message = fmt.Sprintf("Caught fatal signal %d", n)
		}
	case executor.StatusMemoryLimit:
		status = "SG"
		signal = cmpOr(signal, "SIGKILL")
		message = cmpOr(message, "Memory limit exceeded")
	case executor.StatusTimeLimit:
		status, signal = "TO", "SIGKILL"
		message = cmpOr(message, "Time limit exceeded")
	case executor.StatusWrongAnswer:
		status, st.Code, signal = "WA", &code, ""
		message = cmpOr(message, "Wrong answer")
	case executor.StatusOutputLimit:
		status, signal, message = "OL", "SIGKILL", "stdout length exceeded"
		if res.StderrTruncated && !res.StdoutTruncated {
			status, message = "EL", "stderr length exceeded"
		}
	default: // internal_error and any status added later
		status, signal = "XX", ""
		message = cmpOr(message, "internal error")
	}
	st.Status, st.Message = ptr(status), ptr(message)
	if signal != "" {
		st.Signal = ptr(signal)
	}
	return st
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// signalNumbers are Linux's numbers for the signals a program commonly dies of, for isolate's
// "Caught fatal signal N".
var signalNumbers = map[string]int{
	"SIGHUP": 1, "SIGINT": 2, "SIGQUIT": 3, "SIGILL": 4, "SIGTRAP": 5, "SIGABRT": 6, "SIGBUS": 7,
	"SIGFPE": 8, "SIGKILL": 9, "SIGUSR1": 10, "SIGSEGV": 11, "SIGUSR2": 12, "SIGPIPE": 13,
	"SIGALRM": 14, "SIGTERM": 15, "SIGXCPU": 24, "SIGXFSZ": 25, "SIGSYS": 31,
}

// pistonFields names the executor's request fields as Piston's requests do.
var pistonFields = map[string]string{
	"limits.cpu_time_ms": "run_cpu_time", "limits.wall_time_ms": "run_timeout", "limits.memory_bytes": "run_memory_limit",
	"compile_limits.cpu_time_ms": "compile_cpu_time", "compile_limits.wall_time_ms": "compile_timeout",
	"compile_limits.memory_bytes": "compile_memory_limit",
}

// pistonFieldError puts the Piston field's name in front of an executor's *RequestError
// sentence (Piston's sentences start with the field).
func pistonFieldError(err error) error {
	var re *executor.RequestError
	if !errors.As(err, &re) {
		return err
	}
	field := cmpOr(pistonFields[re.Field], re.Field)
	if field == "" {
		return err
	}
	return executor.Invalid(field, "%s: %s", field, re.Msg)
}
