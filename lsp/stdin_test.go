package lsp

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sandrun/sandrun/executor"
)

// stdout waits for a sandrun/output of the run that holds text.
func (c *client) waitOutput(runID, text string) {
	c.t.Helper()
	c.waitNote(0, NotifyOutput, func(p json.RawMessage) bool {
		return hasRunID(runID)(p) && strings.Contains(string(p), text)
	})
}

// stdin sends sandrun.stdin and returns its reply.
func (c *client) stdin(arg map[string]any) StdinReply {
	c.t.Helper()
	m := c.response(c.command(CommandStdin, arg))
	if m.Error != nil {
		c.t.Fatalf("sandrun.stdin %v: error %d %s", arg, m.Error.Code, m.Error.Message)
	}
	return decode[StdinReply](c.t, m.Result)
}

// TestInteractiveRun: an interactive run reads its "stdin" first, then each sandrun.stdin (by
// runId or by uri) while it runs, and answers each line before the next is sent.
func TestInteractiveRun(t *testing.T) {
	c, f := newSession(t, nil)
	uri := "untitled:chat"
	id := c.command(CommandRun, map[string]any{"uri": uri, "languageId": "python", "interactive": true, "stdin": "first\n",
		"text": "out ready\nreadline\nreadline\nreadline\nreadline\n"})
	_, m := c.waitNote(0, NotifyStart, forURI(uri))
	start := decode[StartParams](t, m.Params)
	if !start.Interactive {
		t.Errorf("sandrun/start %+v: want interactive: true", start)
	}
	c.waitOutput(start.RunID, "got first")
	if got := c.stdin(map[string]any{"runId": start.RunID, "data": "second\n"}); got.RunID != start.RunID {
		t.Errorf("sandrun.stdin answered %+v, want run %s", got, start.RunID)
	}
	c.waitOutput(start.RunID, "got second")
	c.stdin(map[string]any{"uri": uri, "data": "thi"})
	c.stdin(map[string]any{"uri": uri, "data": "rd\n", "eof": true})
	reply := c.runDone(id)
	if diff := cmp.Diff("ready\ngot first\ngot second\ngot third\ngot EOF\n", reply.Result.Stdout); diff != "" {
		t.Errorf("stdout (-want +got):\n%s", diff)
	}
	all, _ := output(t, c.runNotes(reply.RunID))
	if all != reply.Result.Stdout {
		t.Errorf("streamed %q, result %q", all, reply.Result.Stdout)
	}
	// It waits for a person: the wall clock is the executor's most, the CPU limit as set.
	reqs := f.Requests()
	if got := reqs[len(reqs)-1].Limits; got.WallTimeMs != executor.MaxLimits().WallTimeMs || got.CPUTimeMs != 0 {
		t.Errorf("limits %+v, want wall %d ms and the default CPU limit", got, executor.MaxLimits().WallTimeMs)
	}
	// The run is over: its id takes no more input.
	e := c.callErr("workspace/executeCommand", map[string]any{"command": CommandStdin, "arguments": []any{map[string]any{"runId": reply.RunID, "data": "x"}}})
	if e.Code != -32602 || !strings.Contains(e.Message, "no run "+reply.RunID+" is in flight") {
		t.Errorf("stdin after the end: %d %s", e.Code, e.Message)
	}
}

// TestStdinRefused: every input that cannot go anywhere is answered with a sentence saying why,
// and the runs go on.
func TestStdinRefused(t *testing.T) {
	c, _ := newSession(t, nil)
	plain := c.command(CommandRun, map[string]any{"uri": "untitled:plain", "languageId": "python", "text": "out p\nblock\n"})
	chat := c.command(CommandRun, map[string]any{"uri": "untitled:chat", "languageId": "python", "interactive": true, "text": "out c\nblock\n"})
	_, m := c.waitNote(0, NotifyStart, forURI("untitled:chat"))
	chatID := decode[StartParams](t, m.Params).RunID
	c.waitNote(0, NotifyStart, forURI("untitled:plain"))
	c.stdin(map[string]any{"uri": "untitled:chat", "data": "", "eof": true})

	big := strings.Repeat("x", executor.MaxStdinBacklog+1)
	tests := []struct {
		name string
		args []any
		code int
		want string
	}{
		{"no argument", nil, -32602, "sandrun.stdin takes one argument"},
		{"no run named", []any{map[string]any{"data": "x"}}, -32602, `needs "runId" (from sandrun/start) or "uri"`},
		{"unknown run", []any{map[string]any{"runId": "r99", "data": "x"}}, -32602, "no run r99 is in flight"},
		{"document without a run", []any{map[string]any{"uri": "untitled:none", "data": "x"}}, -32602, "untitled:none has no run in flight"},
		{"run that is not interactive", []any{map[string]any{"uri": "untitled:plain", "data": "x"}}, -32602, `was not started with "interactive": true`},
		{"after eof", []any{map[string]any{"runId": chatID, "data": "x"}}, -32602, `already ended with "eof": true`},
		{"bad data", []any{map[string]any{"uri": "untitled:chat", "data": 7}}, -32602, "sandrun.stdin takes one argument {runId? or uri?, data, eof?}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := c.callErr("workspace/executeCommand", map[string]any{"command": CommandStdin, "arguments": tt.args})
			if e.Code != tt.code || !strings.Contains(e.Message, tt.want) {
				t.Errorf("got %d %q, want %d containing %q", e.Code, e.Message, tt.code, tt.want)
			}
		})
	}

	// A program that does not read: input piles up to the bound, then is refused.
	hold := c.command(CommandRun, map[string]any{"uri": "untitled:hold", "languageId": "python", "interactive": true, "text": "block\n"})
	c.waitNote(0, NotifyStart, forURI("untitled:hold"))
	if got := c.stdin(map[string]any{"uri": "untitled:hold", "data": big[:1000]}); got.Backlog != 1000 {
		t.Errorf("backlog %d after 1000 unread bytes", got.Backlog)
	}
	e := c.callErr("workspace/executeCommand", map[string]any{"command": CommandStdin, "arguments": []any{map[string]any{"uri": "untitled:hold", "data": big}}})
	if e.Code != -32803 || !strings.Contains(e.Message, "has not read the input sent so far") {
		t.Errorf("input past the backlog: %d %s", e.Code, e.Message)
	}

	// Stopping an interactive run waiting for input ends it.
	var stopped map[string][]string
	c.call("workspace/executeCommand", map[string]any{"command": CommandStop}, &stopped)
	if len(stopped["stopped"]) != 3 {
		t.Errorf("sandrun.stop stopped %v, want the 3 runs", stopped)
	}
	for _, id := range []json.RawMessage{plain, chat, hold} {
		if m := c.response(id); m.Error == nil || m.Error.Code != -32800 {
			t.Errorf("run %s after stop: %+v", id, m)
		}
	}
}
