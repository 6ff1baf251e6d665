package lsp

import (
	"context"
	stdjson "encoding/json"
	"errors"
	"runtime/debug"

	"go.lsp.dev/jsonrpc2"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/languages"
)

// Notifications the server sends while a run goes on (docs/lsp.md shows examples).
const (
	NotifyStart  = "sandrun/start"
	NotifyOutput = "sandrun/output"
	NotifyResult = "sandrun/result"
)

// Triggers of a run, in StartParams.Trigger.
const (
	TriggerCommand = "command" // sandrun.run
	TriggerSave    = "save"    // textDocument/didSave in watch mode
	TriggerDisk    = "disk"    // the file changed on disk in watch mode
)

// StartParams is sandrun/start: a run began. Every run sends exactly one sandrun/start, then
// its sandrun/output notifications in order, then exactly one sandrun/result.
type StartParams struct {
	RunID        string `json:"runId"`
	URI          string `json:"uri"`
	Language     string `json:"language"`     // id, e.g. "python"
	LanguageName string `json:"languageName"` // e.g. "Python"
	Version      string `json:"version"`      // "" when the executor did not say
	Executor     string `json:"executor"`     // "local" or "tcp://host:port"
	File         string `json:"file"`         // the name the source runs as, e.g. "main.py"
	Trigger      string `json:"trigger"`      // command, save or disk
	Selection    bool   `json:"selection"`    // only a selection of the document runs
	// Interactive is set when the program's stdin stays open for sandrun.stdin.
	Interactive bool `json:"interactive,omitempty"`
}

// OutputParams is sandrun/output: a chunk of the program's output, as valid UTF-8 (a character
// split between chunks is sent whole with the later chunk).
type OutputParams struct {
	RunID  string          `json:"runId"`
	URI    string          `json:"uri"`
	Stream executor.Stream `json:"stream"` // stdout or stderr
	Stage  executor.Stage  `json:"stage"`  // compile or run
	Data   string          `json:"data"`
}

// ResultParams is sandrun/result: the run ended. Result is null when it produced none; Error
// then says why, and Cancelled is true when it was stopped (cancel, sandrun.stop, a newer run).
type ResultParams struct {
	RunID     string           `json:"runId"`
	URI       string           `json:"uri"`
	Result    *executor.Result `json:"result"`
	Error     string           `json:"error,omitempty"`
	Cancelled bool             `json:"cancelled,omitempty"`
}

// RunReply answers sandrun.run.
type RunReply struct {
	RunID  string          `json:"runId"`
	Result executor.Result `json:"result"`
}

// job is a run ready to go: what to run and where it came from.
type job struct {
	uri       string
	lang      *languages.Language
	req       executor.Request
	trigger   string
	selection bool
	token     stdjson.RawMessage // the client's workDoneToken, if it sent one
	// interactive is set when req.StdinStream is fed by sandrun.stdin.
	interactive bool
	// text is the document's text the run was cut from; origin places the run's source in it.
	text   string
	origin origin
}

// execute runs j as r, streaming notifications, and returns the reply for sandrun.run. It
// always sends sandrun/start and sandrun/result, whatever happens.
func (s *Server) execute(r *run, j job) (reply *RunReply, err error) {
	defer s.runs.end(r)
	r.waitPrev()
	started := false
	var prog *progress
	defer func() {
		if p := recover(); p != nil {
			s.logf("panic in run %s: %v\n%s", r.id, p, debug.Stack())
			err = jsonrpc2.Errorf(jsonrpc2.InternalError, "the run failed inside sandrun: %v (a bug; the log on stderr has the details)", p)
			reply = nil
			if started {
				s.notify(NotifyResult, ResultParams{RunID: r.id, URI: j.uri, Error: err.Error()})
				prog.end(err.Error())
			}
		}
	}()
	start := StartParams{RunID: r.id, URI: j.uri, Language: j.lang.ID, LanguageName: j.lang.Name,
		Executor: s.settings.get().Executor, File: mainName(j.req), Trigger: j.trigger, Selection: j.selection, Interactive: j.interactive}
	be, err := s.backends.acquire(r.ctx)
	if err == nil {
		defer s.backends.release(be)
		start.Executor = be.cfg.Spec
		start.Version = be.version(r.ctx, j.lang.ID)
	}
	// The previous run's problems are about what it ran: they go now, so that a run that ends
	// without a Result (stopped, failed) leaves none behind (a clean document sends nothing).
	s.publish(j.uri, nil)
	s.notify(NotifyStart, start)
	started = true
	prog = s.beginProgress(r, j, start)
	if err == nil {
		var res executor.Result
		res, err = s.runOn(r, be, j)
		if err == nil {
			s.publishRun(j, res)
			s.notify(NotifyResult, ResultParams{RunID: r.id, URI: j.uri, Result: &res})
			prog.end(summary(res))
			return &RunReply{RunID: r.id, Result: res}, nil
		}
	}
	var ce *cancelError
	if r.ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ce)) {
		err = context.Cause(r.ctx)
	}
	s.notify(NotifyResult, ResultParams{RunID: r.id, URI: j.uri, Error: err.Error(), Cancelled: errors.As(err, &ce)})
	prog.end(err.Error())
	return nil, err
}

// runOn runs j on be, sending its output as sandrun/output notifications in order.
func (s *Server) runOn(r *run, be *backend, j job) (executor.Result, error) {
	out := newCoalescer(func(k outputKey, data string) {
		s.notify(NotifyOutput, OutputParams{RunID: r.id, URI: j.uri, Stream: k.stream, Stage: k.stage, Data: data})
	})
	res, err := be.ex.Run(r.ctx, j.req, func(ev executor.Event) {
		if ev.Restart > 0 {
			out.note(outputKey{executor.StageRun, executor.Stderr}, ev.RestartNote())
			return
		}
		out.add(outputKey{ev.Stage, ev.Stream}, ev.Data)
	})
	out.close()
	return res, err
}

func mainName(req executor.Request) string {
	if req.Main != "" {
		return req.Main
	}
	if len(req.Files) > 0 {
		return req.Files[0].Name
	}
	return ""
}
