package lsp

import (
	stdjson "encoding/json"
	"fmt"
	"strconv"
	"time"

	"go.lsp.dev/protocol"

	"github.com/sandrun/sandrun/executor"
)

// progress reports one run as LSP work-done progress ($/progress begin … end). Messages go out
// in order from one goroutine, after window/workDoneProgress/create when the server made the
// token. A nil *progress does nothing (the client does not support it).
type progress struct{ ch chan any }

type progressParams struct {
	Token stdjson.RawMessage `json:"token"`
	Value any                `json:"value"`
}

// beginProgress starts progress for r if the client supports window.workDoneProgress, with the
// client's workDoneToken when it sent one, else a token the server creates.
func (s *Server) beginProgress(r *run, j job, st StartParams) *progress {
	s.clientMu.Lock()
	supported := s.workDoneClient
	s.clientMu.Unlock()
	if !supported {
		return nil
	}
	token, create := j.token, false
	if len(token) == 0 || string(token) == "null" {
		token, _ = stdjson.Marshal("sandrun-" + r.id)
		create = true
	}
	if key, ok := rawIDKey(token); ok {
		s.runs.setToken(key, r)
	}
	p := &progress{ch: make(chan any, 2)}
	p.ch <- protocol.WorkDoneProgressBegin{
		Kind:        protocol.WorkDoneProgressKindBegin,
		Title:       "Sandrun",
		Message:     fmt.Sprintf("running %s (%s)", st.File, st.LanguageName),
		Cancellable: true,
	}
	go func() {
		if create {
			err := s.call(protocol.MethodWorkDoneProgressCreate, map[string]stdjson.RawMessage{"token": token}, nil, 10*time.Second)
			if err != nil {
				s.logf("window/workDoneProgress/create: %v", err)
				for range p.ch { // drain: the client refused the token
				}
				return
			}
		}
		for v := range p.ch {
			s.notify(protocol.MethodProgress, progressParams{Token: token, Value: v})
		}
	}()
	return p
}

// end finishes the progress with a final message.
func (p *progress) end(msg string) {
	if p == nil {
		return
	}
	p.ch <- protocol.WorkDoneProgressEnd{Kind: protocol.WorkDoneProgressKindEnd, Message: msg}
	close(p.ch)
}

// progressCancel handles window/workDoneProgress/cancel: the user pressed Cancel on a run's
// progress notification.
func (s *Server) progressCancel(params stdjson.RawMessage) error {
	var p struct {
		Token stdjson.RawMessage `json:"token"`
	}
	if err := decodeParams(params, &p); err != nil {
		return err
	}
	key, ok := rawIDKey(p.Token)
	if !ok {
		return fmt.Errorf("token %s is neither a number nor a string", clip(string(p.Token)))
	}
	s.runs.stopToken(key, errProgressCancel)
	return nil
}

// summary is a one-line account of a result: "ok · exit 0 · 12 ms CPU · 30 ms wall · 9.1 MiB".
func summary(r executor.Result) string {
	out := string(r.Status)
	switch {
	case r.Signal != "":
		out += " · " + r.Signal
	case r.Status != executor.StatusCompileError:
		out += " · exit " + strconv.Itoa(r.ExitCode)
	}
	out += fmt.Sprintf(" · %d ms CPU · %d ms wall", r.CPUTimeMs, r.WallTimeMs)
	if r.MemoryKiB > 0 {
		out += fmt.Sprintf(" · %.1f MiB", float64(r.MemoryKiB)/1024)
	}
	return out
}
