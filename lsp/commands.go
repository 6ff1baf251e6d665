package lsp

import (
	"bytes"
	stdjson "encoding/json"
	"strings"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/internal/jsonerr"
)

// executeCommandParams is workspace/executeCommand's params, with the arguments kept raw.
type executeCommandParams struct {
	Command       string               `json:"command"`
	Arguments     []stdjson.RawMessage `json:"arguments"`
	WorkDoneToken stdjson.RawMessage   `json:"workDoneToken"`
}

func commandList() string { return strings.Join(Commands, ", ") }

// executeCommand answers workspace/executeCommand.
func (c *call) executeCommand() {
	var p executeCommandParams
	if err := stdjson.Unmarshal(c.params, &p); err != nil {
		c.answer(nil, invalidParams("workspace/executeCommand: params must be {command, arguments}: %s", jsonerr.Explain("the params", err).Msg))
		return
	}
	switch p.Command {
	case CommandRun:
		c.runCommand(p)
	case CommandWatch:
		c.watchCommand(p)
	case CommandStop:
		c.stopCommand(p)
	case CommandLanguages:
		c.languagesCommand()
	case CommandStdin:
		c.stdinCommand(p)
	default:
		c.answer(nil, invalidParams("unknown command %q: the commands are %s", p.Command, commandList()))
	}
}

// oneArg decodes the single object argument of a command into v; optional allows none.
func oneArg(p executeCommandParams, v any, shape string, optional bool) error {
	switch {
	case len(p.Arguments) == 0 && optional:
		return nil
	case len(p.Arguments) != 1:
		return invalidParams("%s takes one argument %s, got %d", p.Command, shape, len(p.Arguments))
	}
	dec := stdjson.NewDecoder(bytes.NewReader(p.Arguments[0]))
	if err := dec.Decode(v); err != nil {
		return invalidParams("%s takes one argument %s: %s", p.Command, shape, jsonerr.Explain("the argument", err).Msg)
	}
	return nil
}

const runShape = "{uri, languageId?, text?, range?, stdin?, args?, interactive?}"

// runCommand: sandrun.run. The run is registered here, on the read loop, so that of two runs
// of one document sent in a row the later always wins; it then runs on its own goroutine.
// $/cancelRequest on this request stops it at once.
func (c *call) runCommand(p executeCommandParams) {
	var a runArgs
	if err := oneArg(p, &a, runShape, false); err != nil {
		c.answer(nil, err)
		return
	}
	j, err := c.s.prepare(a, TriggerCommand)
	if err != nil {
		c.answer(nil, err)
		return
	}
	j.token = p.WorkDoneToken
	var feed *executor.StdinFeed
	if a.Interactive {
		feed = executor.NewStdinFeed()
		j.req.StdinStream = feed.Reader()
		j.interactive = true
		// It waits for a person typing: the wall clock gets the most an executor allows, while
		// the CPU limit stays as set.
		j.req.Limits.WallTimeMs = executor.MaxLimits().WallTimeMs
	}
	r := c.s.runs.begin(c.ctx, a.URI, feed)
	c.async(func() (any, error) { return c.s.execute(r, j) })
}

// stopCommand: sandrun.stop {uri?} stops that document's run, or every run.
func (c *call) stopCommand(p executeCommandParams) {
	var a struct {
		URI string `json:"uri"`
	}
	if err := oneArg(p, &a, "{uri?}", true); err != nil {
		c.answer(nil, err)
		return
	}
	c.answer(map[string][]string{"stopped": c.s.runs.stop(a.URI, errStopped)}, nil)
}

// languagesCommand: sandrun.languages lists the executor's languages ([]executor.LanguageInfo).
func (c *call) languagesCommand() {
	c.async(func() (any, error) {
		be, err := c.s.backends.acquire(c.ctx)
		if err != nil {
			return nil, err
		}
		defer c.s.backends.release(be)
		return be.languages(c.ctx)
	})
}
