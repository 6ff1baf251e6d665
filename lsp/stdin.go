package lsp

import (
	"errors"

	"go.lsp.dev/jsonrpc2"

	"github.com/sandrun/sandrun/executor"
)

// stdinArgs is the argument of sandrun.stdin.
type stdinArgs struct {
	RunID string `json:"runId,omitempty"`
	URI   string `json:"uri,omitempty"`
	Data  string `json:"data"`
	EOF   bool   `json:"eof,omitempty"`
}

// StdinReply answers sandrun.stdin: the run that took the input, and how many bytes it has
// been sent that the program has not read yet.
type StdinReply struct {
	RunID   string `json:"runId"`
	Backlog int    `json:"backlog"`
}

const stdinShape = "{runId? or uri?, data, eof?}"

// stdinCommand: sandrun.stdin gives more input to an interactive run: the run runId, else the
// run of the document uri. It is answered on the read loop, at once and in order: the input is
// queued (bounded by executor.MaxStdinBacklog) and the program reads it when it will.
func (c *call) stdinCommand(p executeCommandParams) {
	var a stdinArgs
	if err := oneArg(p, &a, stdinShape, false); err != nil {
		c.answer(nil, err)
		return
	}
	if a.RunID == "" && a.URI == "" {
		c.answer(nil, invalidParams(`sandrun.stdin needs "runId" (from sandrun/start) or "uri" (the document whose interactive run takes the input)`))
		return
	}
	r := c.s.runs.find(a.RunID, a.URI)
	switch {
	case r == nil && a.RunID != "":
		c.answer(nil, invalidParams("no run %s is in flight (it may have just ended); input goes to a run started by sandrun.run with \"interactive\": true", a.RunID))
		return
	case r == nil:
		c.answer(nil, invalidParams("%s has no run in flight (it may have just ended); input goes to a run started by sandrun.run with \"interactive\": true", a.URI))
		return
	case r.stdin == nil:
		c.answer(nil, invalidParams("run %s of %s was not started with \"interactive\": true; it takes input only in sandrun.run's \"stdin\"", r.id, r.uri))
		return
	}
	if err := r.stdin.Feed([]byte(a.Data), a.EOF); err != nil {
		switch {
		case errors.Is(err, executor.ErrStdinBacklog):
			c.answer(nil, jsonrpc2.Errorf(codeRequestFailed, "run %s: %v", r.id, err))
		case errors.Is(err, executor.ErrStdinEnded):
			c.answer(nil, invalidParams("run %s: its stdin was already ended with \"eof\": true", r.id))
		default:
			c.answer(nil, invalidParams("run %s: %v", r.id, err))
		}
		return
	}
	c.answer(StdinReply{RunID: r.id, Backlog: r.stdin.Backlog()}, nil)
}
