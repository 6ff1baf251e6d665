// Package executor is the contract every front end talks to: a Request goes in, streamed Events
// and one Result come out. It holds the types, the Executor interface, the errors, the caps and
// the validation that needs no sandbox.
//
// It is not an implementation (executor/local runs sandboxes on this machine, executor/remote
// talks to one over TCP; executor/spec picks one) and knows nothing of who asked.
package executor

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/sandrun/sandrun/languages/diagnose"
)

// Status is a run's outcome class. A program's outcome is data, never a Go error.
type Status string

// The statuses of a Result, as in docs/architecture.md. Add, never rename.
const (
	StatusOK            Status = "ok"
	StatusRuntimeError  Status = "runtime_error"  // exited with a non-zero code
	StatusSignaled      Status = "signaled"       // killed by a signal it did not ask for by a limit
	StatusTimeLimit     Status = "time_limit"     // CPU or wall-clock limit
	StatusMemoryLimit   Status = "memory_limit"   // cgroup OOM kill or allocation failure under the limit
	StatusOutputLimit   Status = "output_limit"   // stdout or stderr passed Limits.OutputBytes
	StatusCompileError  Status = "compile_error"  // the compile stage did not end ok
	StatusInternalError Status = "internal_error" // the sandbox or executor itself failed
	StatusWrongAnswer   Status = "wrong_answer"   // a case ran ok but its output differs from the expected output
)

// File is one source file of a Request. Name is relative, with no "..", no leading "/".
type File struct {
	Name    string `json:"name"`
	Content []byte `json:"content"`
}

// Limits bound one stage (compile or run). A zero field means "the language's default, else the
// executor's default". Times are milliseconds and sizes bytes so the JSON needs no custom types.
type Limits struct {
	CPUTimeMs   int64 `json:"cpu_time_ms,omitempty"`
	WallTimeMs  int64 `json:"wall_time_ms,omitempty"` // default 2×CPU+1s
	MemoryBytes int64 `json:"memory_bytes,omitempty"`
	Processes   int   `json:"processes,omitempty"`    // pids limit
	OutputBytes int64 `json:"output_bytes,omitempty"` // per stream (stdout, stderr each)
	FileBytes   int64 `json:"file_bytes,omitempty"`   // RLIMIT_FSIZE and the work tmpfs size
}

// CPUTime returns the CPU limit as a Duration.
func (l Limits) CPUTime() time.Duration { return time.Duration(l.CPUTimeMs) * time.Millisecond }

// WallTime returns the wall-clock limit as a Duration.
func (l Limits) WallTime() time.Duration { return time.Duration(l.WallTimeMs) * time.Millisecond }

// Request is everything needed to compile and run one program. Front ends build it; the
// executor validates it (errors of type *RequestError) before any work.
type Request struct {
	Language string `json:"language"`          // id or alias, e.g. "python", "py", "c++"
	Version  string `json:"version,omitempty"` // "" or "*" for whatever is installed
	Files    []File `json:"files"`
	// Main names the file to run among Files; "" means Files[0].
	Main  string `json:"main,omitempty"`
	Stdin []byte `json:"stdin,omitempty"`
	// StdinStream, when set, is read after Stdin while the program runs (interactive input from
	// an editor panel or a WebSocket). It is not serialised; transports carry it their own way.
	// The run does not wait for it to end: when the program exits, the rest is not read.
	StdinStream io.Reader `json:"-"`
	Args        []string  `json:"args,omitempty"`
	// Limits apply to the run stage, CompileLimits to the compile stage (if the language has one).
	Limits        Limits `json:"limits"`
	CompileLimits Limits `json:"compile_limits"`
	// Cases, when given, run the program once per case (compiled once), each with its own stdin
	// and optional expected output; Stdin must then be empty. Results are in Result.Cases.
	Cases []Case `json:"cases,omitempty"`
	// MergeOutput gives the program one descriptor for both stdout and stderr in its run stage,
	// so their order is exactly the order it wrote them (as in a terminal, or "2>&1"). All of it
	// is then in Result.Stdout and in Events of Stream "stdout"; stderr is not told apart.
	MergeOutput bool `json:"merge_output,omitempty"`
	// Runtime picks one of the language's runtimes by name ("clang", "pypy", "bun"); "" means
	// the language's default runtime (or, when that is not installed, the first one that is).
	Runtime string `json:"runtime,omitempty"`
	// OutputBudget bounds the output of the whole request: stdout and stderr of every stage and
	// every case together, in bytes. Past it the stage running is stopped with output_limit (its
	// Message says the request's budget was spent) and later cases stop at their first byte.
	// 0 means no bound beyond each stream's Limits.OutputBytes.
	OutputBudget int64 `json:"output_budget,omitempty"`
}

// Case is one input of a multi-case Request.
type Case struct {
	Stdin []byte `json:"stdin"`
	// Expected, when set, is compared with the case's stdout (trailing white space on each line
	// and trailing blank lines ignored); the outcome is CaseResult.Passed.
	Expected *string `json:"expected_output,omitempty"`
}

// CaseResult is the Result of one Case.
type CaseResult struct {
	Result
	Passed *bool `json:"passed,omitempty"` // nil when the case had no expected output
}

// caseJSON is CaseResult without its methods.
type caseJSON CaseResult

// MarshalJSON writes the Result's fields and passed side by side, as encoding/json does for
// the embedded struct. It is explicit because github.com/segmentio/encoding/json (under the
// TCP executor's and the LSP's JSON-RPC) writes a Result embedded in a Result's own field as {}:
// a case's output would be lost on the way.
func (c CaseResult) MarshalJSON() ([]byte, error) { return json.Marshal(caseJSON(c)) }

// UnmarshalJSON reads what MarshalJSON writes (see there).
func (c *CaseResult) UnmarshalJSON(b []byte) error { return json.Unmarshal(b, (*caseJSON)(c)) }

// Result is what a run produced. Its JSON is a public contract (docs/architecture.md): add fields, never
// rename. Stdout and Stderr are valid UTF-8 (invalid bytes replaced with U+FFFD).
type Result struct {
	Language        string  `json:"language"`
	Version         string  `json:"version"`
	Status          Status  `json:"status"`
	ExitCode        int     `json:"exit_code"`
	Signal          string  `json:"signal"` // e.g. "SIGSEGV", "" if none
	Stdout          string  `json:"stdout"`
	Stderr          string  `json:"stderr"`
	StdoutTruncated bool    `json:"stdout_truncated"`
	StderrTruncated bool    `json:"stderr_truncated"`
	CPUTimeMs       int64   `json:"cpu_time_ms"`
	WallTimeMs      int64   `json:"wall_time_ms"`
	MemoryKiB       int64   `json:"memory_kib"` // peak
	Message         string  `json:"message"`    // human sentence when Status != ok
	Compile         *Result `json:"compile"`    // nil for interpreted languages
	// Cached is set on a Compile result that came from the compile cache.
	Cached bool `json:"cached,omitempty"`
	// Cases holds one Result per Request.Cases entry, in order. Then Status is ok only when
	// every case ended ok (and passed, where expected output was given), CPU and wall times are
	// sums, memory the peak, and Stdout/Stderr are empty.
	Cases []CaseResult `json:"cases,omitempty"`
	// Diagnostics are the problems found in the compiler's messages and the runtime's errors
	// (a traceback's innermost frame in the request's files), in the request's files, in the
	// order printed; empty when there were none. A multi-case run's top-level Result holds the
	// compile's and every case's; each of its Cases holds its own run's, and Compile the
	// compile's own.
	Diagnostics []Diagnostic `json:"diagnostics"`
	// Runtime names the runtime that ran the program ("gcc", "clang", "cpython", "pypy",
	// "node", "bun", "deno"); Version is that runtime's version.
	Runtime string `json:"runtime,omitempty"`
}

// Diagnostic is one problem in one of the request's files (see diagnose.Diagnostic).
type Diagnostic = diagnose.Diagnostic

// Stage names the part of a Request that an Event belongs to.
type Stage string

// Stages of a run.
const (
	StageCompile Stage = "compile"
	StageRun     Stage = "run"
)

// Stream names an output stream.
type Stream string

// Output streams.
const (
	Stdout Stream = "stdout"
	Stderr Stream = "stderr"
)

// Event is one chunk of output, delivered while the program runs, in the order it was read.
// Data may end in the middle of a UTF-8 sequence.
type Event struct {
	Stage  Stage  `json:"stage"`
	Stream Stream `json:"stream"`
	Data   []byte `json:"data"`
	// Restart, when > 0, says the run started again from the beginning on another executor
	// (this is its attempt number, counting from 1) because the one running it stopped (a fleet
	// worker killed mid-run): output before this event belongs to the abandoned attempt and
	// front ends clear it or mark it. Such an event has no Data.
	Restart int `json:"restart,omitempty"`
}

// RestartNote is the line front ends show for an Event with Restart set, between the abandoned
// attempt's output and the new one's.
func (e Event) RestartNote() string {
	return fmt.Sprintf("\n[sandrun: the executor running this stopped; running it again from the start elsewhere (attempt %d); the output above is from the abandoned attempt]\n", e.Restart)
}

// LanguageInfo describes one language as an executor offers it.
type LanguageInfo struct {
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	Version    string   `json:"version"` // "" when not installed
	Aliases    []string `json:"aliases"`
	Extensions []string `json:"extensions"`
	VSCodeID   string   `json:"vscode_id,omitempty"`
	Compiled   bool     `json:"compiled"`
	Available  bool     `json:"available"`
	// Missing says how to install the toolchain when Available is false.
	Missing string `json:"missing,omitempty"`
	// Runtime names the runtime that a request without one gets: the language's default
	// runtime, or the first installed one when the default is not installed. Version,
	// Compiled, Available and Missing describe that runtime; Available is true when any is.
	Runtime string `json:"runtime,omitempty"`
	// Runtimes lists every runtime of the language, the default first.
	Runtimes []RuntimeInfo `json:"runtimes,omitempty"`
}

// RuntimeInfo describes one runtime of a language (GCC or Clang for C, Node.js, Bun or Deno for
// JavaScript).
type RuntimeInfo struct {
	Runtime   string   `json:"runtime"` // "clang"
	Name      string   `json:"name"`    // "Clang"
	Version   string   `json:"version"` // "" when not installed
	Aliases   []string `json:"aliases"` // names that pick this runtime as a language: "clang"
	Default   bool     `json:"default"`
	Compiled  bool     `json:"compiled"`
	Available bool     `json:"available"`
	Missing   string   `json:"missing,omitempty"`
}

// Capacity reports an executor's load, for health checks and back-pressure.
type Capacity struct {
	Slots    int    `json:"slots"`     // runs that may execute at once
	Running  int    `json:"running"`   // runs executing now
	Queued   int    `json:"queued"`    // runs waiting for a slot
	QueueMax int    `json:"queue_max"` // Run fails fast with ErrBusy beyond this
	Version  string `json:"version"`   // sandrun version
}

// Executor runs Requests. Implementations: local.Executor (executor/local), remote.Client
// (tcp://); executor/spec opens the one a user names.
//
// Run blocks until the program ends, calling onEvent (which may be nil) from one goroutine at a
// time, in order, before Run returns. A program's outcome, including compile errors and limits,
// is in the Result; a non-nil error means the request was invalid (*RequestError), the executor is
// busy (ErrBusy), ctx ended (ctx.Err(), the run killed), or the machinery failed.
type Executor interface {
	Run(ctx context.Context, req Request, onEvent func(Event)) (Result, error)
	Languages(ctx context.Context) ([]LanguageInfo, error)
	Capacity(ctx context.Context) (Capacity, error)
}

// Version is sandrun's version, set at build time with -ldflags "-X ...executor.Version=v1.2.3".
var Version = "0.1.0-dev"
