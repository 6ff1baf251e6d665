package lsp

import (
	stdjson "encoding/json"
	"errors"
	"os"
	"syscall"
	"time"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"

	"github.com/sandrun/sandrun/executor"
)

// Command ids the server executes (workspace/executeCommand).
const (
	CommandRun       = "sandrun.run"
	CommandWatch     = "sandrun.watch"
	CommandStop      = "sandrun.stop"
	CommandLanguages = "sandrun.languages"
	CommandStdin     = "sandrun.stdin"
)

// Commands lists the command ids, in the order initialize advertises them.
var Commands = []string{CommandRun, CommandWatch, CommandStop, CommandLanguages, CommandStdin}

// initializeParams is the part of InitializeParams the server reads. It is decoded on its own
// (not as protocol.InitializeParams) so that capabilities a newer client adds, in shapes
// v0.12.0 does not know, can never fail the handshake.
type initializeParams struct {
	ProcessID             *int               `json:"processId"`
	InitializationOptions stdjson.RawMessage `json:"initializationOptions"`
	Capabilities          struct {
		Window struct {
			WorkDoneProgress bool `json:"workDoneProgress"`
		} `json:"window"`
		Workspace struct {
			Configuration bool `json:"configuration"`
		} `json:"workspace"`
	} `json:"capabilities"`
}

func (c *call) initialize() {
	s := c.s
	var p initializeParams
	if len(c.params) == 0 {
		c.params = stdjson.RawMessage("{}")
	}
	if err := stdjson.Unmarshal(c.params, &p); err != nil {
		c.answer(nil, invalidParams("initialize: params are not InitializeParams: %v", err))
		return
	}
	if !s.state.CompareAndSwap(stateNew, stateReady) {
		c.answer(nil, jsonrpc2.Errorf(jsonrpc2.InvalidRequest, "initialize was already sent: send it once per session"))
		return
	}
	_, hasOptions := sandrunSection(p.InitializationOptions)
	s.clientMu.Lock()
	s.workDoneClient = p.Capabilities.Window.WorkDoneProgress
	s.configurationClient = p.Capabilities.Workspace.Configuration
	s.initOptions = hasOptions
	s.clientMu.Unlock()
	var warnings []string
	if hasOptions {
		warnings = s.applySettings(p.InitializationOptions)
	}
	if p.ProcessID != nil && *p.ProcessID > 0 {
		go s.watchParent(*p.ProcessID)
	}
	c.answer(protocol.InitializeResult{
		Capabilities: protocol.ServerCapabilities{
			TextDocumentSync: &protocol.TextDocumentSyncOptions{
				OpenClose: true,
				Change:    protocol.TextDocumentSyncKindFull,
				Save:      &protocol.SaveOptions{IncludeText: true},
			},
			ExecuteCommandProvider: &protocol.ExecuteCommandOptions{Commands: Commands},
		},
		ServerInfo: &protocol.ServerInfo{Name: "sandrun", Version: executor.Version},
	}, nil)
	for _, w := range warnings {
		s.showMessage(protocol.MessageTypeWarning, w)
	}
}

// initialized asks for the settings when initialize carried none, and warms the executor up.
func (s *Server) initialized(stdjson.RawMessage) error {
	s.clientMu.Lock()
	pull := !s.initOptions
	s.clientMu.Unlock()
	if pull {
		go s.pullSettings()
	}
	go s.warmUp()
	return nil
}

// warmUp opens the executor and asks for its languages, so that the first run does not wait
// for toolchain detection (seconds on a busy machine) while the person waits for output.
func (s *Server) warmUp() {
	be, err := s.backends.acquire(s.bg)
	if err != nil {
		s.logf("%v", err) // the first run reports it to the client
		return
	}
	defer s.backends.release(be)
	if _, err := be.languages(s.bg); err != nil {
		s.logf("executor %q: languages: %v", be.cfg.Spec, err)
	}
}

// shutdown stops every run and watch; the session then only accepts exit.
func (c *call) shutdown() {
	c.s.state.Store(stateShutdown)
	c.s.runs.stopAll(errSessionEnded)
	c.s.watches.close()
	c.answer(nil, nil)
}

func (s *Server) exit(stdjson.RawMessage) error {
	s.exitOnce.Do(func() { close(s.exited) })
	return nil
}

// watchParent ends the session when the editor process that started the server is gone
// (LSP: "if the parent process is not alive then the server should exit"). A pid this process
// cannot see at the start (another PID namespace, as with Flatpak editors) is not watched.
func (s *Server) watchParent(pid int) {
	if !alive(pid) {
		s.logf("the editor's process %d is not visible from here; not watching it", pid)
		return
	}
	t := time.NewTicker(3 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-s.bg.Done():
			return
		case <-t.C:
		}
		if !alive(pid) {
			s.logf("the editor's process %d is gone: ending the session", pid)
			s.exitOnce.Do(func() { close(s.exited) })
			return
		}
	}
}

// alive reports whether process pid exists (signal 0; EPERM means it exists).
func alive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err == nil {
		err = p.Signal(syscall.Signal(0))
	}
	return err == nil || errors.Is(err, syscall.EPERM)
}

// showMessage sends window/showMessage.
func (s *Server) showMessage(t protocol.MessageType, msg string) {
	s.notify(protocol.MethodWindowShowMessage, &protocol.ShowMessageParams{Type: t, Message: msg})
}

// showError sends window/showMessage with type Error.
func (s *Server) showError(msg string) { s.showMessage(protocol.MessageTypeError, msg) }
