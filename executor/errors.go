package executor

import (
	"errors"
	"fmt"
)

// ErrBusy is returned at once by Run when every slot is taken and the queue is full.
var ErrBusy = errors.New("executor busy: every slot is taken and the queue is full; try again shortly")

// RequestError says what is wrong with a Request: the field and a sentence a person can act on.
// Front ends show it as a client error (HTTP 4xx, JSON-RPC InvalidParams, CLI exit 2).
type RequestError struct {
	Field string // e.g. "language", "files[0].name", "limits.cpu_time_ms"
	Msg   string // e.g. `unknown language "pyhton"; run "sandrun languages" to list them`
}

func (e *RequestError) Error() string {
	if e.Field == "" {
		return e.Msg
	}
	return e.Field + ": " + e.Msg
}

// Invalid returns a *RequestError for field with a formatted message.
func Invalid(field, format string, args ...any) error {
	return &RequestError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// IsRequestError reports whether err is (or wraps) a *RequestError.
func IsRequestError(err error) bool {
	var re *RequestError
	return errors.As(err, &re)
}

// ErrRefused is wrapped by the error Run returns when a policy of the operator's (a pre hook, see
// executor/hooks) refused the request. Front ends show its sentence as a refusal: HTTP 403, the TCP
// executor's CodeRefused, CLI exit 125 (the program was not run).
var ErrRefused = errors.New("refused")

// RefusedError is a refusal with the sentence the policy gave.
type RefusedError struct{ Msg string }

func (e *RefusedError) Error() string { return e.Msg }

// Unwrap makes errors.Is(err, ErrRefused) hold.
func (e *RefusedError) Unwrap() error { return ErrRefused }
