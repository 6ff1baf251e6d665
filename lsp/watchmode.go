package lsp

import (
	"fmt"
	"sync"

	"github.com/sandrun/sandrun/lsp/watch"
)

// watchArgs is the argument of sandrun.watch.
type watchArgs struct {
	URI        string   `json:"uri"`
	Enabled    *bool    `json:"enabled"`
	LanguageID string   `json:"languageId,omitempty"`
	Stdin      *string  `json:"stdin,omitempty"`
	Args       []string `json:"args,omitempty"`
}

// WatchReply answers sandrun.watch. OnDisk is true when changes made outside the editor are
// watched too (file: URIs), not only saves.
type WatchReply struct {
	URI     string `json:"uri"`
	Enabled bool   `json:"enabled"`
	OnDisk  bool   `json:"onDisk"`
}

// watches is watch mode: documents that run on every save and, for files, on every change
// made on disk outside the editor.
type watches struct {
	s  *Server
	fw *watch.Watcher

	mu     sync.Mutex
	byURI  map[string]*watched
	byPath map[string]*watched
	closed bool
}

type watched struct {
	args runArgs
	path string // "" when only saves are watched
	// last is the text of the last run, so that the disk event caused by an editor's own save
	// (which also sends didSave) does not run the same text twice.
	last *string
}

func newWatches(s *Server) (*watches, error) {
	ws := &watches{s: s, byURI: map[string]*watched{}, byPath: map[string]*watched{}}
	fw, err := watch.New(watch.Options{
		Delay:    s.opts.Debounce,
		OnChange: ws.changedOnDisk,
		OnError:  func(err error) { s.logf("%v", err) },
	})
	if err != nil {
		return nil, fmt.Errorf("lsp: %w", err)
	}
	ws.fw = fw
	return ws, nil
}

// watchCommand: sandrun.watch {uri, enabled, languageId?, stdin?, args?}.
func (c *call) watchCommand(p executeCommandParams) {
	var a watchArgs
	if err := oneArg(p, &a, "{uri, enabled, languageId?, stdin?, args?}", false); err != nil {
		c.answer(nil, err)
		return
	}
	if a.URI == "" || a.Enabled == nil {
		c.answer(nil, invalidParams(`sandrun.watch needs "uri" and "enabled", e.g. {"uri": "file:///home/me/hello.py", "enabled": true}`))
		return
	}
	c.answer(c.s.watches.set(a))
}

func (ws *watches) set(a watchArgs) (*WatchReply, error) {
	run := runArgs{URI: a.URI, LanguageID: a.LanguageID, Stdin: a.Stdin, Args: a.Args}
	if !*a.Enabled {
		ws.remove(a.URI)
		return &WatchReply{URI: a.URI}, nil
	}
	// Refuse now what would fail on every save.
	if _, err := ws.s.prepare(run, TriggerSave); err != nil {
		return nil, err
	}
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if ws.closed {
		return nil, errSessionEnded
	}
	if old := ws.byURI[a.URI]; old != nil {
		old.args = run
		return &WatchReply{URI: a.URI, Enabled: true, OnDisk: old.path != ""}, nil
	}
	w := &watched{args: run}
	if p, ok := uriPath(a.URI); ok {
		if err := ws.fw.Add(p); err != nil {
			return nil, fmt.Errorf("sandrun.watch %s: %w", a.URI, err)
		}
		w.path = p
		ws.byPath[p] = w
	}
	ws.byURI[a.URI] = w
	return &WatchReply{URI: a.URI, Enabled: true, OnDisk: w.path != ""}, nil
}

func (ws *watches) remove(uri string) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	w := ws.byURI[uri]
	if w == nil {
		return
	}
	delete(ws.byURI, uri)
	if w.path != "" {
		delete(ws.byPath, w.path)
		ws.fw.Remove(w.path)
	}
}

// saved runs a watched document after textDocument/didSave, with the saved text when the
// client sent it. It is called on the read loop.
func (ws *watches) saved(uri string, text *string) {
	ws.mu.Lock()
	w := ws.byURI[uri]
	if w == nil || ws.closed {
		ws.mu.Unlock()
		return
	}
	a := w.args
	a.Text = text
	if text == nil {
		if doc, ok := ws.s.docs.get(uri); ok {
			a.Text = &doc.text
		}
	}
	w.last = a.Text
	ws.mu.Unlock()
	ws.start(a, TriggerSave)
}

// changedOnDisk runs a watched file that changed on disk, unless it holds the text that ran last.
func (ws *watches) changedOnDisk(path string) {
	ws.mu.Lock()
	w := ws.byPath[path]
	if w == nil || ws.closed {
		ws.mu.Unlock()
		return
	}
	a := w.args
	ws.mu.Unlock()
	data, err := readSource(path)
	if err != nil {
		ws.s.logf("watch: %s changed but cannot be read: %v", path, err)
		return
	}
	text := string(data)
	ws.mu.Lock()
	if w.last != nil && *w.last == text {
		ws.mu.Unlock()
		ws.s.logf("watch: %s changed on disk to the text that ran last (%d bytes): not run again", path, len(text))
		return
	}
	w.last = &text
	ws.mu.Unlock()
	a.Text = &text
	ws.start(a, TriggerDisk)
}

// start runs a in watch mode: a new run of the document stops the previous one.
func (ws *watches) start(a runArgs, trigger string) {
	j, err := ws.s.prepare(a, trigger)
	if err != nil {
		ws.s.showError(fmt.Sprintf("Sandrun watch mode cannot run %s: %v", a.URI, err))
		return
	}
	r := ws.s.runs.begin(ws.s.bg, a.URI, nil)
	go func() {
		if _, err := ws.s.execute(r, j); err != nil {
			ws.s.logf("watch run %s of %s: %v", r.id, a.URI, err)
		}
	}()
}

// close stops watch mode for every document.
func (ws *watches) close() {
	ws.mu.Lock()
	if ws.closed {
		ws.mu.Unlock()
		return
	}
	ws.closed = true
	ws.byURI, ws.byPath = map[string]*watched{}, map[string]*watched{}
	ws.mu.Unlock()
	if err := ws.fw.Close(); err != nil {
		ws.s.logf("watch: %v", err)
	}
}
