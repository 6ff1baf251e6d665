package local

import "github.com/sandrun/sandrun/executor"

// The contract's names as this package's code uses them: aliases, not new types.
type (
	Request      = executor.Request
	Result       = executor.Result
	Case         = executor.Case
	CaseResult   = executor.CaseResult
	File         = executor.File
	Limits       = executor.Limits
	Event        = executor.Event
	Stage        = executor.Stage
	Stream       = executor.Stream
	Status       = executor.Status
	Capacity     = executor.Capacity
	LanguageInfo = executor.LanguageInfo
	RuntimeInfo  = executor.RuntimeInfo
)

const (
	StatusOK            = executor.StatusOK
	StatusRuntimeError  = executor.StatusRuntimeError
	StatusSignaled      = executor.StatusSignaled
	StatusTimeLimit     = executor.StatusTimeLimit
	StatusMemoryLimit   = executor.StatusMemoryLimit
	StatusOutputLimit   = executor.StatusOutputLimit
	StatusCompileError  = executor.StatusCompileError
	StatusInternalError = executor.StatusInternalError
	StatusWrongAnswer   = executor.StatusWrongAnswer
	StageCompile        = executor.StageCompile
	StageRun            = executor.StageRun
	Stdout              = executor.Stdout
	Stderr              = executor.Stderr
)

const (
	kib = 1 << 10
	mib = 1 << 20
)

// FormatBytes is executor.FormatBytes.
func FormatBytes(n int64) string { return executor.FormatBytes(n) }

// Invalid is executor.Invalid.
func Invalid(field, format string, args ...any) error {
	return executor.Invalid(field, format, args...)
}

func fmtMs(v int64) string { return executor.FormatMs(v) }
