package web

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/executor/hooks"
	"github.com/sandrun/sandrun/internal/jsonerr"
)

// The WebSocket protocol of /api/v1/run/stream (one run per connection, JSON text messages):
//
//	client → server  {"type":"run", ...RunRequest fields}   first, within 10 s ("type" optional)
//	                 {"type":"stdin","data":"...","eof":false}  input while it runs; only when the
//	                                                        run request had "interactive":true
//	                                                        ("eof":true ends the program's stdin)
//	                 {"type":"stop"}                        kill the run
//	                 "job":true in the run request keeps the run as a job of /api/v1/jobs
//	                 (jobs_stream.go): "started" and "result" then carry its "job" id
//	server → client  {"type":"started","language":"python","version":"3.11.2"}
//	                 {"type":"output","stage":"run","stream":"stdout","data":"..."}   as it happens
//	                 {"type":"result","result":{...Result}}  then the server closes (1000)
//	                 {"type":"error","error":"...","field":"...","code":400}  then it closes,
//	                 except for a refused stdin message, after which the run goes on.
//
// Closing the socket kills the run.

// streamIn is a message from the client.
type streamIn struct {
	Type string `json:"type"`
	Data string `json:"data"`
	EOF  bool   `json:"eof"`
}

// streamStart is the first message: a RunRequest with an optional "type":"run".
type streamStart struct {
	Type string `json:"type"`
	// Interactive keeps the program's stdin open after the request's stdin, fed by "stdin"
	// messages until one carries "eof":true (or the run ends).
	Interactive bool `json:"interactive"`
	// Job keeps the run as a job of /api/v1/jobs as well (jobs_stream.go), so that GET
	// /api/v1/jobs/{id} shows its Result afterwards; "started" and "result" carry the id. When
	// the server cannot keep it (too many jobs), the run goes on without an id.
	Job bool `json:"job"`
	RunRequest
}

// streamOut is a message to the client.
type streamOut struct {
	Type     string           `json:"type"`
	Stage    executor.Stage   `json:"stage,omitempty"`
	Stream   executor.Stream  `json:"stream,omitempty"`
	Data     string           `json:"data,omitempty"`
	Language string           `json:"language,omitempty"`
	Version  string           `json:"version,omitempty"`
	Job      string           `json:"job,omitempty"`
	Result   *executor.Result `json:"result,omitempty"`
	Error    string           `json:"error,omitempty"`
	Field    string           `json:"field,omitempty"`
	Code     int              `json:"code,omitempty"`
}

// streamStartTimeout is how long a new connection may take to send its run request.
const streamStartTimeout = 10 * time.Second

// handleStream answers GET /api/v1/run/stream.
func (s *Server) handleStream(w http.ResponseWriter, r *http.Request) {
	if !s.trackStream() {
		writeError(w, r, http.StatusServiceUnavailable, "", "the server is shutting down; try again shortly")
		return
	}
	defer s.streams.Done()
	if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		w.Header().Set("Upgrade", "websocket")
		writeError(w, r, http.StatusUpgradeRequired, "",
			"this route speaks WebSocket: connect with a WebSocket client, or POST the run to /api/v1/run")
		return
	}
	opts := &websocket.AcceptOptions{}
	if slices.Contains(s.opts.CORSOrigins, "*") {
		opts.InsecureSkipVerify = true // every origin was allowed on purpose
	} else {
		// The guard has already refused foreign origins; this is the same rule once more.
		opts.OriginPatterns = append(slices.Clone(s.opts.CORSOrigins), s.opts.PublicHosts...)
	}
	conn, err := websocket.Accept(w, r, opts)
	if err != nil {
		return // Accept has answered the client (e.g. 403 for a foreign origin)
	}
	defer conn.CloseNow()
	// One byte past --max-body for the library: readRequest stops at it and answers with a
	// sentence, where the library would close with its own words ("read limited at N bytes").
	conn.SetReadLimit(s.opts.MaxBodyBytes + 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st := &stream{conn: conn, ctx: ctx}

	sctx, scancel := context.WithTimeout(ctx, streamStartTimeout)
	msg, err := readRequest(sctx, conn, s.opts.MaxBodyBytes)
	scancel()
	var tl *tooLargeError
	if errors.As(err, &tl) {
		st.send(streamOut{Type: "error", Error: tl.Error(), Code: http.StatusRequestEntityTooLarge})
		st.conn.Close(websocket.StatusMessageTooBig, "the run request is too large")
		return
	}
	if err != nil {
		st.fail(http.StatusBadRequest, "", "no run request: send one JSON message with the run within 10 s")
		return
	}
	var kind streamIn
	if err := json.Unmarshal(msg, &kind); err == nil && kind.Type != "" && kind.Type != "run" {
		st.fail(http.StatusBadRequest, "type", "type: the first message must be the run request (\"type\":\"run\"), not "+kind.Type)
		return
	}
	var start streamStart
	if err := unmarshalRequest(msg, &start, true); err != nil {
		st.failErr(err)
		return
	}
	req, err := s.prepare(ctx, start.RunRequest)
	if err != nil {
		st.failErr(err)
		return
	}
	runCtx, stop := context.WithCancel(hooks.WithClient(ctx, clientIP(r)))
	defer stop()
	if start.Interactive {
		// It waits for a person typing: unless the request sets one, the wall clock is the most
		// this server allows (as for the editor's and the terminal's interactive runs), not
		// 2×CPU+1s; the CPU limit stays as set.
		if req.Limits.WallTimeMs == 0 {
			req.Limits.WallTimeMs = s.opts.MaxLimits.WallTimeMs
		}
		in := executor.NewStdinFeed()
		defer in.Close()
		req.StdinStream = in.Reader()
		st.stdin = in
	}
	base := runCtx // ended by the client (stop, or a closed socket)
	var kept *job
	if start.Job {
		j, jctx, err := s.jobs.track(runCtx, clientIP(r), req)
		if err != nil {
			s.log.Warn("stream run not kept as a job", "err", err)
		} else {
			kept, runCtx = j, jctx
		}
	}
	// Read with the client's context: a canceled read context closes the socket, and the job's
	// ends before the result is sent.
	go st.readControl(base, stop)
	started := streamOut{Type: "started", Language: req.Language, Version: req.Version}
	if kept != nil {
		started.Job = kept.rec.ID
	}
	st.send(started)

	splitters := map[[2]string]*utf8Splitter{}
	// Output is batched (executor.EventBatcher): a byte-at-a-time writer is a few messages.
	out := executor.NewEventBatcher(outputWindow, func(ev executor.Event) {
		if ev.Restart > 0 {
			st.send(streamOut{Type: "output", Stage: executor.StageRun, Stream: executor.Stderr, Data: ev.RestartNote()})
			return
		}
		key := [2]string{string(ev.Stage), string(ev.Stream)}
		sp := splitters[key]
		if sp == nil {
			sp = &utf8Splitter{}
			splitters[key] = sp
		}
		if text := sp.next(ev.Data); text != "" {
			st.send(streamOut{Type: "output", Stage: ev.Stage, Stream: ev.Stream, Data: text})
		}
	})
	res, err := s.run(runCtx, req, out.Add)
	out.Close()
	for key, sp := range splitters {
		if text := sp.flush(); text != "" {
			st.send(streamOut{Type: "output", Stage: executor.Stage(key[0]), Stream: executor.Stream(key[1]), Data: text})
		}
	}
	var rec jobRecord
	// DELETE /api/v1/jobs/{id} or the server stopping canceled the run (finish below cancels
	// the context too, so this is asked first).
	canceled := kept != nil && errors.Is(context.Cause(runCtx), errJobCanceled)
	if kept != nil {
		// The job is stored done before the client hears of the result, so that a GET right
		// after it finds the job done.
		rec = s.jobs.finishStream(kept, res, err)
	}
	switch {
	case err == nil:
		st.sendResult(&res, rec.ID)
		conn.Close(websocket.StatusNormalClosure, "")
	case canceled:
		st.fail(http.StatusConflict, "", rec.Error)
	case st.stopped():
		st.fail(statusClientClosed, "", "stopped: the run was killed at the client's request")
	case base.Err() != nil:
		// The client closed the socket: the run is killed and nobody is left to tell.
	default:
		st.failErr(v1FieldError(err))
	}
}

// outputWindow is how long output is held to be joined with more (executor.EventBatcher).
var outputWindow = executor.BatchWindow

// trackStream counts a WebSocket run in flight, unless shutdown has begun.
func (s *Server) trackStream() bool {
	s.doneMu.Lock()
	defer s.doneMu.Unlock()
	if s.closed {
		return false
	}
	s.streams.Add(1)
	return true
}

// stream is one WebSocket connection's writing side.
type stream struct {
	conn *websocket.Conn
	ctx  context.Context

	stdin *executor.StdinFeed // nil unless the run is interactive

	stopMu    sync.Mutex
	stopAsked bool
}

// send writes one message; a client that does not take it within 10 s loses the connection
// (and with it the run).
func (st *stream) send(m streamOut) {
	data, err := json.Marshal(m)
	if err != nil {
		return // plain structs: cannot happen
	}
	ctx, cancel := context.WithTimeout(st.ctx, 10*time.Second)
	defer cancel()
	if err := st.conn.Write(ctx, websocket.MessageText, data); err != nil {
		st.conn.CloseNow()
	}
}

// sendResult sends the "result" message, streaming its outputs into the WebSocket message
// instead of building the whole message in memory.
func (st *stream) sendResult(res *executor.Result, job string) {
	ctx, cancel := context.WithTimeout(st.ctx, time.Minute)
	defer cancel()
	w, err := st.conn.Writer(ctx, websocket.MessageText)
	if err != nil {
		st.conn.CloseNow()
		return
	}
	err = encodeStreaming(w, streamOut{Type: "result", Job: job, Result: res}, resultStrings(res))
	if cerr := w.Close(); err != nil || cerr != nil {
		st.conn.CloseNow()
	}
}

// fail sends an error message and closes the connection normally.
// readRequest reads the first message, at most max bytes: a longer one is a *tooLargeError
// once max+1 bytes of it arrived (the library's own limit is one byte further, never reached).
func readRequest(ctx context.Context, conn *websocket.Conn, max int64) ([]byte, error) {
	_, r, err := conn.Reader(ctx)
	if err != nil {
		return nil, err
	}
	msg, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(msg)) > max {
		return nil, &tooLargeError{limit: max}
	}
	return msg, nil
}

func (st *stream) fail(code int, field, msg string) {
	st.send(streamOut{Type: "error", Error: msg, Field: field, Code: code})
	st.conn.Close(websocket.StatusNormalClosure, "")
}

// failErr sends err the way the HTTP routes would answer it.
func (st *stream) failErr(err error) {
	var re *executor.RequestError
	var tl *tooLargeError
	switch {
	case errors.As(err, &re):
		st.fail(http.StatusBadRequest, re.Field, re.Error())
	case errors.As(err, &tl):
		st.fail(http.StatusRequestEntityTooLarge, "", tl.Error())
	case errors.Is(err, executor.ErrRefused):
		st.fail(http.StatusForbidden, "", err.Error())
	case errors.Is(err, executor.ErrBusy):
		st.fail(http.StatusServiceUnavailable, "", err.Error())
	default:
		st.fail(http.StatusInternalServerError, "", "internal error: "+err.Error())
	}
}

func (st *stream) stopped() bool {
	st.stopMu.Lock()
	defer st.stopMu.Unlock()
	return st.stopAsked
}

// readControl reads the client's messages while the run goes on. "stop", a closed socket or a
// broken message kills the run (stop); "stdin" feeds an interactive run (and is refused otherwise).
func (st *stream) readControl(ctx context.Context, stop context.CancelFunc) {
	for {
		_, msg, err := st.conn.Read(ctx)
		if err != nil {
			stop()
			return
		}
		var in streamIn
		if err := json.Unmarshal(msg, &in); err != nil {
			st.send(streamOut{Type: "error", Error: jsonerr.Explain("the message", err).Msg, Code: http.StatusBadRequest})
			continue
		}
		switch in.Type {
		case "stop":
			st.stopMu.Lock()
			st.stopAsked = true
			st.stopMu.Unlock()
			stop()
			return
		case "stdin":
			if st.stdin == nil {
				st.send(streamOut{Type: "error", Field: "stdin", Code: http.StatusBadRequest,
					Error: "stdin: this run was not started with \"interactive\":true, so it takes stdin only in the run request; the run goes on without this input"})
				continue
			}
			if err := st.stdin.Feed([]byte(in.Data), in.EOF); err != nil {
				msg := err.Error()
				if errors.Is(err, executor.ErrStdinEnded) {
					msg = "stdin was already ended with \"eof\":true"
				}
				st.send(streamOut{Type: "error", Field: "stdin", Code: http.StatusBadRequest, Error: "stdin: " + msg})
			}
		default:
			st.send(streamOut{Type: "error", Field: "type", Code: http.StatusBadRequest,
				Error: "type: " + in.Type + " is not a message type here; send \"stdin\" or \"stop\""})
		}
	}
}
