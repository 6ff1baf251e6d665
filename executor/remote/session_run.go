package remote

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/sandrun/sandrun/executor"
)

// run runs req remotely under a fresh run id. When ctx ends first it sends cancel and waits
// (up to opts.CancelWait) for the executor to confirm the run ended, then returns ctx.Err().
func (s *session) run(ctx context.Context, req executor.Request, onEvent func(executor.Event)) (executor.Result, error) {
	if err := ctx.Err(); err != nil {
		return executor.Result{}, err
	}
	interactive := req.StdinStream != nil
	if interactive && !s.interactive {
		return executor.Result{}, executor.Invalid("stdin", "the executor at %s is an older sandrun that takes no interactive input; upgrade it, or send all stdin with the request", s.addr)
	}
	id := "r" + strconv.FormatUint(s.nextID.Add(1), 10)
	params, err := json.Marshal(RunParams{RunID: id, Request: req, Interactive: interactive})
	if err != nil {
		return executor.Result{}, fmt.Errorf("encode request: %w", err)
	}
	// The frame also holds the envelope: {"jsonrpc":"2.0","method":"run","params":…,"id":N}.
	if size := int64(len(params)) + 64; s.maxSend > 0 && size > s.maxSend {
		return executor.Result{}, &executor.RequestError{Msg: fmt.Sprintf(
			"the request is %s encoded (sources and stdin travel in base64); the executor at %s accepts at most %s",
			executor.FormatBytes(size), s.addr, executor.FormatBytes(s.maxSend))}
	}
	ev := newEvents(onEvent)
	s.runsMu.Lock()
	s.runs[id] = ev
	s.runsMu.Unlock()
	defer func() {
		s.runsMu.Lock()
		delete(s.runs, id)
		s.runsMu.Unlock()
	}()

	type answer struct {
		res executor.Result
		err error
	}
	answered := make(chan answer, 1)
	sent := make(chan struct{})
	go func() {
		var a answer
		a.err = s.callSent(context.Background(), MethodRun, json.RawMessage(params), &a.res, sent)
		answered <- a
	}()
	if interactive {
		pctx, stopPump := context.WithCancel(context.Background())
		defer stopPump()
		go s.pumpStdin(pctx, id, req.StdinStream, sent)
	}

	select {
	case a := <-answered:
		ev.finish()
		return a.res, a.err
	case <-ctx.Done():
	}
	cctx, cancel := context.WithTimeout(context.Background(), s.opts.CancelWait)
	defer cancel()
	_ = s.notify(cctx, MethodCancel, CancelParams{RunID: id})
	select {
	case <-answered:
	case <-cctx.Done():
	case <-s.dead:
	}
	ev.finish()
	return executor.Result{}, ctx.Err()
}

// stdinChunk is the most input one stdin call carries.
const stdinChunk = 32 << 10

// pumpStdin sends what r yields to the run id, one stdin call at a time, each after the run has
// read the one before (so at most one chunk is ever on its way), and eof once r ends or fails.
// It starts once the run call is written and stops when ctx ends (the run is over); a Read
// that is blocked then returns whenever r's owner ends it, and what it read is not sent.
func (s *session) pumpStdin(ctx context.Context, id string, r io.Reader, sent <-chan struct{}) {
	select {
	case <-sent:
	case <-ctx.Done():
		return
	}
	buf := make([]byte, stdinChunk)
	for {
		n, err := r.Read(buf)
		if ctx.Err() != nil {
			return
		}
		eof := err != nil
		if n == 0 && !eof {
			continue
		}
		if err := s.call(ctx, MethodStdin, StdinParams{RunID: id, Data: buf[:n], EOF: eof}, nil); err != nil || eof {
			return
		}
	}
}
