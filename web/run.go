package web

import (
	"context"
	"errors"
	"net/http"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/executor/hooks"
)

// handleRun answers POST /api/v1/run: a RunRequest in, the executor.Result out (200 whenever
// the program ran, whatever its outcome).
func (s *Server) handleRun(w http.ResponseWriter, r *http.Request) {
	var rr RunRequest
	if err := decodeJSON(w, r, &rr, true); err != nil {
		writeDecodeError(w, r, err)
		return
	}
	req, err := s.prepare(r.Context(), rr)
	if err != nil {
		s.writeRunError(w, r, err)
		return
	}
	res, err := s.run(withClient(r), req, nil)
	if err != nil {
		s.writeRunError(w, r, v1FieldError(err))
		return
	}
	writeStreaming(w, http.StatusOK, &res, resultStrings(&res))
}

// v1Fields names the executor's request fields as /api/v1 requests do.
var v1Fields = map[string]string{
	"limits.memory_bytes": "limits.memory_mib", "limits.output_bytes": "limits.output_kib",
	"compile_limits.memory_bytes": "compile_limits.memory_mib", "compile_limits.output_bytes": "compile_limits.output_kib",
}

// v1FieldError renames the field of an executor's *RequestError to the one the client sent.
func v1FieldError(err error) error {
	var re *executor.RequestError
	if errors.As(err, &re) {
		if f, ok := v1Fields[re.Field]; ok {
			return &executor.RequestError{Field: f, Msg: re.Msg}
		}
	}
	return err
}

// prepare validates a RunRequest, resolves its language and version, and returns the
// executor.Request to run.
func (s *Server) prepare(ctx context.Context, rr RunRequest) (executor.Request, error) {
	req, err := s.execRequest(rr)
	if err != nil {
		return req, err
	}
	info, err := s.resolveLanguage(ctx, rr.Language, rr.Runtime, rr.Version)
	if err != nil {
		return req, err
	}
	req.Language, req.Version, req.Runtime = info.ID, info.Version, info.Runtime
	req.OutputBudget = s.opts.OutputBudget
	return req, nil
}

// run runs req on the executor: the hook chain New wrapped around it, whose post hook (observe)
// records the metrics and the log line. req.Language must be a resolved language id (it becomes
// a metric label); ctx should name the client (hooks.WithClient).
func (s *Server) run(ctx context.Context, req executor.Request, onEvent func(executor.Event)) (executor.Result, error) {
	return s.exec.Run(ctx, req, onEvent)
}

// runStatus is a finished job's status as the metrics and the log name it: the Result's, or
// rejected, refused, busy, canceled, error when there is none.
func runStatus(d hooks.Done) string {
	var re *executor.RequestError
	switch err := d.Err; {
	case err == nil:
		return string(d.Result.Status)
	case errors.As(err, &re):
		return "rejected"
	case errors.Is(err, executor.ErrRefused):
		return "refused"
	case errors.Is(err, executor.ErrBusy):
		return "busy"
	case d.Canceled:
		return "canceled"
	default:
		return "error"
	}
}

// observe is the server's own post hook: it counts each finished run in /metrics and writes its
// log line. It runs after the answer went out, on the chain's goroutine.
func (s *Server) observe(d hooks.Done) {
	status := runStatus(d)
	s.metrics.observeRun(d.Request.Language, status, d.Elapsed)
	attrs := []any{"job", d.ID, "client", d.Client, "language", d.Request.Language, "version", d.Request.Version,
		"status", status, "elapsed_ms", d.Elapsed.Milliseconds()}
	if d.Err == nil {
		attrs = append(attrs, "exit_code", d.Result.ExitCode, "cpu_ms", d.Result.CPUTimeMs,
			"wall_ms", d.Result.WallTimeMs, "memory_kib", d.Result.MemoryKiB)
	} else {
		attrs = append(attrs, "err", d.Err.Error())
	}
	s.log.Info("run", attrs...)
}
