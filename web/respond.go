package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/internal/jsonerr"
)

// apiError is the body of every error answer outside /api/v2: a sentence, and the request field
// it is about when there is one.
type apiError struct {
	Error string `json:"error"`
	Field string `json:"field,omitempty"`
}

// pistonError is the body of every error answer under /api/v2, as Piston sends it.
type pistonError struct {
	Message string `json:"message"`
}

// writeJSON sends v as JSON with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		// Every value sent is built from plain structs: this is a bug, report it as one.
		status, body = http.StatusInternalServerError, []byte(`{"error":"internal error: could not encode the answer"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(append(body, '\n'))
}

// writeError sends an error sentence in the shape the route family uses: {message} under
// /api/v2 (Piston's shape), {error, field} everywhere else.
func writeError(w http.ResponseWriter, r *http.Request, status int, field, msg string) {
	if isPistonPath(r.URL.Path) {
		writeJSON(w, status, pistonError{Message: msg})
		return
	}
	writeJSON(w, status, apiError{Error: msg, Field: field})
}

func isPistonPath(p string) bool { return strings.HasPrefix(p, "/api/v2/") }

// writeRunError turns an error from executor.Run or Languages into the right answer: 4xx naming
// the field for a bad request, 503 when busy, 499-style silence when the client left, 500 else.
func (s *Server) writeRunError(w http.ResponseWriter, r *http.Request, err error) {
	var re *executor.RequestError
	switch {
	case errors.As(err, &re) && isPistonPath(r.URL.Path):
		writeError(w, r, http.StatusBadRequest, re.Field, re.Msg) // Piston's sentences name the field
	case errors.As(err, &re):
		writeError(w, r, http.StatusBadRequest, re.Field, re.Error())
	case errors.Is(err, executor.ErrRefused):
		writeError(w, r, http.StatusForbidden, "", err.Error()) // an operator's pre hook said no
	case errors.Is(err, executor.ErrBusy):
		w.Header().Set("Retry-After", "1")
		writeError(w, r, http.StatusServiceUnavailable, "", err.Error())
	case r.Context().Err() != nil:
		// The client went away; nobody reads the answer. The log line records it.
		w.WriteHeader(statusClientClosed)
	default:
		s.log.Error("executor failed", "path", r.URL.Path, "err", err)
		writeError(w, r, http.StatusInternalServerError, "", "internal error: "+err.Error())
	}
}

// statusClientClosed is logged when the client left before the answer (nginx's 499).
const statusClientClosed = 499

// decodeJSON reads r's body (bounded by the body-size middleware) into v. It returns a
// *executor.RequestError that names the field for malformed input, and reports a body past the
// size limit as errTooLarge. strict rejects fields v does not have.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any, strict bool) error {
	// The server has no ReadTimeout (runs are long); bound the body's upload here instead.
	http.NewResponseController(w).SetReadDeadline(time.Now().Add(30 * time.Second))
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return &tooLargeError{limit: mbe.Limit}
		}
		return executor.Invalid("", "request body: could not be read: %v", err)
	}
	http.NewResponseController(w).SetReadDeadline(time.Time{})
	return unmarshalRequest(body, v, strict)
}

// unmarshalRequest decodes one JSON value from body into v, turning decoder errors into
// *executor.RequestError sentences a person can act on.
func unmarshalRequest(body []byte, v any, strict bool) error {
	return unmarshalValue("the request", body, v, strict)
}

// unmarshalValue is unmarshalRequest for what body is ("the request", or "the job" of a batch).
func unmarshalValue(what string, body []byte, v any, strict bool) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return executor.Invalid("", "request body is empty; send a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		return jsonError(what, jsonerr.ExplainIn(what, err, body, v, strict))
	}
	if dec.More() {
		return executor.Invalid("", "request body holds more than one JSON value; send exactly one object")
	}
	return nil
}

// jsonError says a decoding error of what, explained by jsonerr, as a *executor.RequestError
// naming the field by its JSON path ("limits.bogus", "jobs[1].source"), never in Go's words.
func jsonError(what string, e *jsonerr.Error) error {
	if strings.HasPrefix(e.Msg, what+" has an unknown field ") {
		key := e.Field[strings.LastIndexByte(e.Field, '.')+1:]
		return executor.Invalid(e.Field, "unknown field %q; see /api/openapi.json for the fields accepted", key)
	}
	if e.Field != "" {
		return executor.Invalid(e.Field, "%s", strings.TrimPrefix(e.Msg, e.Field+" "))
	}
	return executor.Invalid("", "%s", e.Msg)
}

// tooLargeError is a body past Options.MaxBodyBytes.
type tooLargeError struct{ limit int64 }

func (e *tooLargeError) Error() string {
	return fmt.Sprintf("request body is larger than %s; send at most that much", executor.FormatBytes(e.limit))
}

// writeDecodeError answers a decodeJSON error: 413 for a body too large, 400 otherwise.
func writeDecodeError(w http.ResponseWriter, r *http.Request, err error) {
	var tl *tooLargeError
	if errors.As(err, &tl) {
		writeError(w, r, http.StatusRequestEntityTooLarge, "", tl.Error())
		return
	}
	var re *executor.RequestError
	if errors.As(err, &re) {
		writeError(w, r, http.StatusBadRequest, re.Field, re.Error())
		return
	}
	writeError(w, r, http.StatusBadRequest, "", err.Error())
}
