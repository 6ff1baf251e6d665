package web

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/sandrun/sandrun/executor"
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
	res, err := s.run(r.Context(), req, nil)
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

// run runs req on the executor, recording metrics and one log line. req.Language must be a
// resolved language id (it becomes a metric label).
func (s *Server) run(ctx context.Context, req executor.Request, onEvent func(executor.Event)) (executor.Result, error) {
	start := time.Now()
	res, err := s.exec.Run(ctx, req, onEvent)
	elapsed := time.Since(start)
	status := string(res.Status)
	var re *executor.RequestError
	switch {
	case err == nil:
	case errors.As(err, &re):
		status = "rejected"
	case errors.Is(err, executor.ErrBusy):
		status = "busy"
	case ctx.Err() != nil:
		status = "canceled"
	default:
		status = "error"
	}
	s.metrics.observeRun(req.Language, status, elapsed)
	attrs := []any{"language", req.Language, "version", req.Version, "status", status,
		"elapsed_ms", elapsed.Milliseconds()}
	if err == nil {
		attrs = append(attrs, "exit_code", res.ExitCode, "cpu_ms", res.CPUTimeMs,
			"wall_ms", res.WallTimeMs, "memory_kib", res.MemoryKiB)
	} else {
		attrs = append(attrs, "err", err.Error())
	}
	s.log.Info("run", attrs...)
	return res, err
}
