package web

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"

	"github.com/sandrun/sandrun/executor"
)

// RunRequest is the body of POST /api/v1/run and the first message on /api/v1/run/stream.
// Give the program either as Source (one file, named as the language expects, e.g. main.py or
// Main.java) or as Files.
type RunRequest struct {
	Language string    `json:"language"`
	Version  string    `json:"version,omitempty"` // semver selector: "", "*", "3", "3.11", ">=3.8"
	Source   *string   `json:"source,omitempty"`
	Files    []RunFile `json:"files,omitempty"`
	Main     string    `json:"main,omitempty"` // which file to run; "" means the first
	Stdin    string    `json:"stdin,omitempty"`
	Args     []string  `json:"args,omitempty"`
	// Limits bound the run stage, CompileLimits the compile stage. Absent fields take defaults.
	Limits        *RunLimits `json:"limits,omitempty"`
	CompileLimits *RunLimits `json:"compile_limits,omitempty"`
	// Cases run the program once per case (compiled once), each with its own stdin and an
	// optional expected output; stdin must then be left out. Results are in Result.Cases.
	Cases []RunCase `json:"cases,omitempty"`
	// MergeOutput gives the program one descriptor for stdout and stderr, so the output (all
	// of it then in stdout, and in "stdout" events) is in exactly the order it was written.
	MergeOutput bool `json:"merge_output,omitempty"`
	// Runtime picks one of the language's runtimes ("clang", "pypy", "bun"); "" means the
	// language's default. GET /api/v1/languages lists each language's runtimes.
	Runtime string `json:"runtime,omitempty"`
}

// RunCase is one input of a multi-case run.
type RunCase struct {
	Stdin          string  `json:"stdin"`
	ExpectedOutput *string `json:"expected_output,omitempty"`
}

// RunFile is one source file. Encoding is "utf8" (the default), "base64" or "hex".
type RunFile struct {
	Name     string `json:"name"`
	Content  string `json:"content"`
	Encoding string `json:"encoding,omitempty"`
}

// RunLimits are a stage's limits in the units people use. Zero or absent means the default.
type RunLimits struct {
	CPUTimeMs  int64 `json:"cpu_time_ms,omitempty"`
	WallTimeMs int64 `json:"wall_time_ms,omitempty"`
	MemoryMiB  int64 `json:"memory_mib,omitempty"`
	Processes  int64 `json:"processes,omitempty"`
	OutputKiB  int64 `json:"output_kib,omitempty"`
}

// execRequest validates rr and turns it into an executor.Request. Errors are
// *executor.RequestError naming the field.
func (s *Server) execRequest(rr RunRequest) (executor.Request, error) {
	req := executor.Request{Language: rr.Language, Version: rr.Version, Main: rr.Main, Args: rr.Args, MergeOutput: rr.MergeOutput}
	if rr.Stdin != "" {
		req.Stdin = []byte(rr.Stdin)
	}
	if rr.Language == "" {
		return req, executor.Invalid("language", "is required; GET /api/v1/languages lists the languages")
	}
	switch {
	case rr.Source != nil && len(rr.Files) > 0:
		return req, executor.Invalid("source", "send either source or files, not both")
	case rr.Source != nil:
		req.Files = []executor.File{{Name: s.sourceName(rr.Language), Content: []byte(*rr.Source)}}
	case len(rr.Files) == 0:
		return req, executor.Invalid("files", "no program given: send \"source\" (a string) or \"files\" (an array of {name, content})")
	}
	for i, f := range rr.Files {
		content, err := decodeContent(f.Content, f.Encoding)
		if err != nil {
			return req, executor.Invalid(fmt.Sprintf("files[%d].%s", i, err.field), "%s", err.msg)
		}
		if f.Name == "" {
			return req, executor.Invalid(fmt.Sprintf("files[%d].name", i), "is required, e.g. %q", s.sourceName(rr.Language))
		}
		req.Files = append(req.Files, executor.File{Name: f.Name, Content: content})
	}
	for _, c := range rr.Cases {
		req.Cases = append(req.Cases, executor.Case{Stdin: []byte(c.Stdin), Expected: c.ExpectedOutput})
	}
	var err error
	if req.Limits, err = s.limits("limits", rr.Limits); err != nil {
		return req, err
	}
	if req.CompileLimits, err = s.limits("compile_limits", rr.CompileLimits); err != nil {
		return req, err
	}
	return req, nil
}

// sourceName is the file name a language expects for a lone source ("main.py", "Main.java").
func (s *Server) sourceName(language string) string {
	l, ok := s.langs.Lookup(language)
	switch {
	case !ok:
		return "main"
	case l.SourceFile != "":
		return l.SourceFile
	case len(l.Extensions) > 0:
		return "main" + l.Extensions[0]
	}
	return "main"
}

// contentError says which part of a file is wrong.
type contentError struct{ field, msg string }

// decodeContent turns a file's content into bytes according to its encoding.
func decodeContent(content, encoding string) ([]byte, *contentError) {
	switch encoding {
	case "", "utf8", "utf-8":
		return []byte(content), nil
	case "base64":
		b, err := base64.StdEncoding.DecodeString(content)
		if err != nil {
			return nil, &contentError{"content", fmt.Sprintf("is not valid base64: %v", err)}
		}
		return b, nil
	case "hex":
		b, err := hex.DecodeString(content)
		if err != nil {
			return nil, &contentError{"content", fmt.Sprintf("is not valid hex: %v", err)}
		}
		return b, nil
	}
	return nil, &contentError{"encoding", fmt.Sprintf("%q is not an encoding; use \"utf8\", \"base64\" or \"hex\"", encoding)}
}

// limits checks a stage's limits against the server's maxima and converts them to executor units.
func (s *Server) limits(field string, l *RunLimits) (executor.Limits, error) {
	if l == nil {
		return executor.Limits{}, nil
	}
	max := s.opts.MaxLimits
	// The least memory a sandbox can run in is the executor's; it is said here with the
	// server's maximum, so one sentence gives the whole range (0 is the default).
	checks := []struct {
		name string
		v    int64
		min  int64
		max  int64
		unit string
	}{
		{"cpu_time_ms", l.CPUTimeMs, 1, max.CPUTimeMs, "ms"},
		{"wall_time_ms", l.WallTimeMs, 1, max.WallTimeMs, "ms"},
		{"memory_mib", l.MemoryMiB, executor.MinLimits().MemoryBytes >> 20, max.MemoryBytes >> 20, "MiB"},
		{"processes", l.Processes, 1, int64(max.Processes), ""},
		{"output_kib", l.OutputKiB, 1, max.OutputBytes >> 10, "KiB"},
	}
	for _, c := range checks {
		if c.v < 0 || c.v > c.max || (c.v != 0 && c.v < c.min) {
			return executor.Limits{}, executor.Invalid(field+"."+c.name,
				"%d is out of range: give %d to %d%s, or leave it out for the default", c.v, c.min, c.max, unitSuffix(c.unit))
		}
	}
	return executor.Limits{
		CPUTimeMs:   l.CPUTimeMs,
		WallTimeMs:  l.WallTimeMs,
		MemoryBytes: l.MemoryMiB << 20,
		Processes:   int(l.Processes),
		OutputBytes: l.OutputKiB << 10,
	}, nil
}

func unitSuffix(u string) string {
	if u == "" {
		return ""
	}
	return " " + u
}
