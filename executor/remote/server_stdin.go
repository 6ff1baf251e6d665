package remote

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"

	"go.lsp.dev/jsonrpc2"

	"github.com/sandrun/sandrun/executor"
)

// serverRun is one run in flight on a connection.
type serverRun struct {
	cancel context.CancelFunc
	stdin  *stdinPipe // nil unless the run is interactive
}

// stdinPipe carries a client's stdin calls into an interactive run's StdinStream. One call is
// written at a time, and answered once the run has read it all: the client's flow control, so
// the executor never holds more than one chunk per run that the program has not read.
type stdinPipe struct {
	pr *io.PipeReader
	pw *io.PipeWriter

	mu    sync.Mutex
	busy  bool // a call is being written
	ended bool // eof was sent, or the run ended
}

func newStdinPipe() *stdinPipe {
	pr, pw := io.Pipe()
	return &stdinPipe{pr: pr, pw: pw}
}

// begin claims the pipe for one call, or says why it cannot take one.
func (p *stdinPipe) begin(runID string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.ended:
		return executor.Invalid("eof", "the stdin of run %q was already ended (eof)", runID)
	case p.busy:
		return &kindError{msg: fmt.Sprintf("run %q has not read the previous stdin yet; wait for that call's answer before the next", runID), kind: executor.ErrBusy}
	}
	p.busy = true
	return nil
}

// write writes data, then ends the stream when eof is set. It returns when the run has read
// data, or with an error when the run ended first.
func (p *stdinPipe) write(data []byte, eof bool) error {
	var err error
	if len(data) > 0 {
		_, err = p.pw.Write(data)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.busy = false
	if err == nil && eof {
		p.ended = true
		p.pw.Close()
	}
	return err
}

// close ends the pipe when the run is over: a pending write fails.
func (p *stdinPipe) close() {
	p.mu.Lock()
	p.ended = true
	p.mu.Unlock()
	p.pr.CloseWithError(io.ErrClosedPipe)
}

// stdin answers MethodStdin: the data goes to the run's StdinStream from a goroutine, and the
// answer comes once the run has read it (or ended). A stdin notification is dropped.
func (c *serverConn) stdin(ctx context.Context, reply jsonrpc2.Replier, req jsonrpc2.Request) error {
	if _, isCall := req.(*jsonrpc2.Call); !isCall {
		return nil // nobody would learn whether it arrived
	}
	var p StdinParams
	if err := json.Unmarshal(req.Params(), &p); err != nil {
		return reply(ctx, nil, badParams(req, err))
	}
	c.runsMu.Lock()
	r := c.runs[p.RunID]
	c.runsMu.Unlock()
	switch {
	case r == nil:
		return reply(ctx, nil, toWire(executor.Invalid("run_id", "no run %q is in flight on this connection (it may have just ended)", p.RunID)))
	case r.stdin == nil:
		return reply(ctx, nil, toWire(executor.Invalid("run_id", "run %q was not started with \"interactive\": true; its stdin came whole with the request", p.RunID)))
	}
	if err := r.stdin.begin(p.RunID); err != nil {
		return reply(ctx, nil, toWire(err))
	}
	c.runWG.Add(1)
	go func() {
		defer c.runWG.Done()
		if err := r.stdin.write(p.Data, p.EOF); err != nil {
			if errors.Is(err, io.ErrClosedPipe) {
				err = executor.Invalid("run_id", "run %q ended before it read this input", p.RunID)
			}
			_ = reply(context.Background(), nil, toWire(err))
			return
		}
		_ = reply(context.Background(), nil, nil)
	}()
	return nil
}
