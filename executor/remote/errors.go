package remote

import (
	"context"
	"encoding/json"
	"errors"

	"go.lsp.dev/jsonrpc2"

	"github.com/sandrun/sandrun/executor"
)

// JSON-RPC error codes of this protocol, beyond the standard ones (ParseError, InvalidRequest,
// MethodNotFound, InvalidParams, InternalError). docs/remote.md lists them.
const (
	CodeBusy         jsonrpc2.Code = -32010 // executor.ErrBusy: queue full, too many runs, shutting down
	CodeUnauthorized jsonrpc2.Code = -32011 // missing or wrong token; the connection is closed
	CodeCanceled     jsonrpc2.Code = -32012 // the run was canceled (by cancel, or its connection ended)
	CodeTooLarge     jsonrpc2.Code = -32013 // a frame passed the size limit; the connection is closed
	CodeRefused      jsonrpc2.Code = -32014 // executor.ErrRefused: an operator's pre hook refused the run
)

// ErrUnauthorized is wrapped by the errors a Client returns when the executor refused its token.
var ErrUnauthorized = errors.New("the executor refused the token")

// ErrDisconnected is wrapped by the errors a Client returns when the connection to the executor
// was lost (it died, closed the connection, or stopped answering heartbeats).
var ErrDisconnected = errors.New("connection to the executor lost")

// requestErrorData is the data of an InvalidParams error that carries an *executor.RequestError.
type requestErrorData struct {
	Field string `json:"field"`
	Msg   string `json:"msg"`
}

// toWire turns an error of the wrapped executor into the JSON-RPC error the client receives.
func toWire(err error) *jsonrpc2.Error {
	var we *jsonrpc2.Error
	var re *executor.RequestError
	switch {
	case errors.As(err, &we):
		return we
	case errors.As(err, &re):
		data, _ := json.Marshal(requestErrorData{Field: re.Field, Msg: re.Msg})
		raw := json.RawMessage(data)
		return &jsonrpc2.Error{Code: jsonrpc2.InvalidParams, Message: re.Error(), Data: &raw}
	case errors.Is(err, executor.ErrRefused):
		return jsonrpc2.NewError(CodeRefused, err.Error())
	case errors.Is(err, executor.ErrBusy):
		return jsonrpc2.NewError(CodeBusy, err.Error())
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return jsonrpc2.NewError(CodeCanceled, "run canceled: "+err.Error())
	default:
		return jsonrpc2.NewError(jsonrpc2.InternalError, err.Error())
	}
}

// kindError is a sentence that matches a sentinel with errors.Is (executor.ErrBusy,
// ErrUnauthorized): the server builds them for its own limits, the client from the wire.
type kindError struct {
	msg  string
	kind error
}

func (e *kindError) Error() string { return e.msg }
func (e *kindError) Unwrap() error { return e.kind }

// fromWire turns a JSON-RPC error back into the Go error the server's executor returned:
// *executor.RequestError keeps its field, busy matches executor.ErrBusy, canceled is
// context.Canceled. Other errors keep the server's sentence.
func fromWire(err error) error {
	var we *jsonrpc2.Error
	if !errors.As(err, &we) {
		return err
	}
	switch we.Code {
	case jsonrpc2.InvalidParams:
		var d requestErrorData
		if we.Data != nil && json.Unmarshal(*we.Data, &d) == nil && d.Msg != "" {
			return &executor.RequestError{Field: d.Field, Msg: d.Msg}
		}
		return &executor.RequestError{Msg: we.Message}
	case CodeRefused:
		return &executor.RefusedError{Msg: we.Message}
	case CodeBusy:
		if we.Message == executor.ErrBusy.Error() {
			return executor.ErrBusy
		}
		return &kindError{msg: we.Message, kind: executor.ErrBusy}
	case CodeUnauthorized:
		return &kindError{msg: ErrUnauthorized.Error() + ": " + we.Message, kind: ErrUnauthorized}
	case CodeCanceled:
		return context.Canceled
	default:
		return errors.New(we.Message)
	}
}
