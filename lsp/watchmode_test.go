package lsp

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sandrun/sandrun/executor/executortest"
)

func watchSession(t *testing.T) (*client, *executortest.Fake, string, string) {
	c, f, path, uri, _ := watchSessionLog(t)
	return c, f, path, uri
}

// watchSessionLog is watchSession with the server's log lines on a channel too.
func watchSessionLog(t *testing.T) (*client, *executortest.Fake, string, string, <-chan string) {
	t.Helper()
	f := newFake()
	lines := make(chan string, 256)
	log := logLines{newTestLog(t), lines}
	c := startServer(t, Options{Open: (&fakeOpener{f: f}).open, Debounce: 50 * time.Millisecond, Log: log})
	c.initialize(nil, nil)
	path := filepath.Join(t.TempDir(), "watched.py")
	writeFile(t, path, "out v1\n")
	return c, f, path, "file://" + path, lines
}

// logLines sends each log line on lines too (dropped when full).
type logLines struct {
	testLog
	lines chan string
}

func (l logLines) Write(p []byte) (int, error) {
	select {
	case l.lines <- string(p):
	default:
	}
	return l.testLog.Write(p)
}

// waitLog waits for a log line that holds want.
func waitLog(t *testing.T, lines <-chan string, want string) {
	t.Helper()
	timeout := time.After(wait)
	for {
		select {
		case l := <-lines:
			if strings.Contains(l, want) {
				return
			}
		case <-timeout:
			t.Fatalf("no log line with %q", want)
		}
	}
}

func (c *client) watch(uri string, enabled bool, extra map[string]any) WatchReply {
	c.t.Helper()
	arg := map[string]any{"uri": uri, "enabled": enabled}
	for k, v := range extra {
		arg[k] = v
	}
	var reply WatchReply
	c.call("workspace/executeCommand", map[string]any{"command": CommandWatch, "arguments": []any{arg}}, &reply)
	return reply
}

// nextRun waits for the next run of uri that starts after notification index from.
func (c *client) nextRun(from int, uri string) (StartParams, ResultParams) {
	c.t.Helper()
	_, m := c.waitNote(from, NotifyStart, forURI(uri))
	start := decode[StartParams](c.t, m.Params)
	_, m = c.waitNote(from, NotifyResult, hasRunID(start.RunID))
	return start, decode[ResultParams](c.t, m.Params)
}

func TestWatchOnSave(t *testing.T) {
	c, f, _, uri := watchSession(t)
	c.didOpen(uri, "python", "out v1\n")
	if got := c.watch(uri, true, map[string]any{"stdin": "in\n"}); got != (WatchReply{URI: uri, Enabled: true, OnDisk: true}) {
		t.Errorf("watch reply = %+v", got)
	}
	// didSave with text: that text runs (the file on disk is not read).
	from := c.noteCount()
	c.notify("textDocument/didSave", map[string]any{"textDocument": map[string]any{"uri": uri}, "text": "out saved\nstdin\n"})
	start, res := c.nextRun(from, uri)
	if start.Trigger != TriggerSave || res.Result == nil || res.Result.Stdout != "saved\nin\n" {
		t.Errorf("run on save: start %+v, result %+v", start, res)
	}
	// didSave without text: the buffer runs.
	c.notify("textDocument/didChange", map[string]any{"textDocument": map[string]any{"uri": uri, "version": 2},
		"contentChanges": []any{map[string]any{"text": "out buffer\n"}}})
	from = c.noteCount()
	c.notify("textDocument/didSave", map[string]any{"textDocument": map[string]any{"uri": uri}})
	if _, res := c.nextRun(from, uri); res.Result == nil || res.Result.Stdout != "buffer\n" {
		t.Errorf("run on save without text: %+v", res)
	}
	// A save while a run goes on stops that run.
	from = c.noteCount()
	c.notify("textDocument/didSave", map[string]any{"textDocument": map[string]any{"uri": uri}, "text": "block\n"})
	blocked, _ := c.waitNote(from, NotifyStart, forURI(uri))
	for waitStarted(t, f) != "block\n" {
	}
	c.notify("textDocument/didSave", map[string]any{"textDocument": map[string]any{"uri": uri}, "text": "out next\n"})
	_, old := c.waitNote(blocked, NotifyResult, forURI(uri))
	if r := decode[ResultParams](t, old.Params); !r.Cancelled || r.Error != "stopped: a newer run of the same document started" {
		t.Errorf("superseded watch run: %+v", r)
	}
	// Off: saves no longer run.
	if got := c.watch(uri, false, nil); got != (WatchReply{URI: uri}) {
		t.Errorf("watch off reply = %+v", got)
	}
	c.waitNote(blocked, NotifyResult, func(p json.RawMessage) bool {
		r := decode[ResultParams](t, p)
		return r.URI == uri && r.Result != nil && r.Result.Stdout == "next\n"
	})
	from = c.noteCount()
	c.notify("textDocument/didSave", map[string]any{"textDocument": map[string]any{"uri": uri}, "text": "out ignored\n"})
	c.call("workspace/executeCommand", map[string]any{"command": CommandLanguages}, nil) // a round trip after the save
	if n := c.noteCount(); n != from {
		t.Errorf("%d notifications after a save with watch mode off, want none", n-from)
	}
}

func TestWatchOutsideEdit(t *testing.T) {
	c, _, path, uri, lines := watchSessionLog(t)
	c.watch(uri, true, nil)

	tests := []struct {
		name string
		edit func()
		want string
	}{
		{"write in place", func() { writeInPlace(t, path, "out v2\n") }, "v2\n"},
		{"atomic rename", func() {
			writeFile(t, path+".tmp", "out v3\n")
			if err := os.Rename(path+".tmp", path); err != nil {
				t.Fatal(err)
			}
		}, "v3\n"},
	}
	for _, tt := range tests {
		from := c.noteCount()
		tt.edit()
		start, res := c.nextRun(from, uri)
		if start.Trigger != TriggerDisk || res.Result == nil || res.Result.Stdout != tt.want {
			t.Errorf("%s: start %+v, result %+v, want a disk run printing %q", tt.name, start, res, tt.want)
		}
	}

	// The editor's own save writes the file and sends didSave: one run, not two. The disk
	// event of the write comes after the didSave here, as it does whenever the debounce outlasts
	// the didSave's way to the server; in the other order a starved test made the debounce
	// lose, and saw the disk run and then the save's.
	from := c.noteCount()
	const saved = "out v4, saved by the editor\n" // a length no earlier text has, for the log line
	c.notify("textDocument/didSave", map[string]any{"textDocument": map[string]any{"uri": uri}, "text": saved})
	c.nextRun(from, uri)
	writeInPlace(t, path, saved)
	// The disk event of that write, seen and dropped: a duplicate run would have started by then.
	waitLog(t, lines, fmt.Sprintf("to the text that ran last (%d bytes): not run again", len(saved)))
	c.call("workspace/executeCommand", map[string]any{"command": CommandLanguages}, nil)
	var starts []string
	c.mu.Lock()
	for _, m := range c.notes[from:] {
		if m.Method == NotifyStart {
			starts = append(starts, decode[StartParams](t, m.Params).Trigger)
		}
	}
	c.mu.Unlock()
	if len(starts) != 1 {
		t.Errorf("runs after a save = %v, want one", starts)
	}
}

func TestWatchErrors(t *testing.T) {
	c, _, _, _ := watchSession(t)
	tests := []struct {
		name string
		arg  any
		want string
	}{
		{"no enabled", map[string]any{"uri": "file:///x.py"}, `sandrun.watch needs "uri" and "enabled"`},
		{"unknown language", map[string]any{"uri": "untitled:t", "enabled": true}, "cannot tell which language"},
		{"missing dir", map[string]any{"uri": "file:///nowhere/at/all/x.py", "enabled": true}, "cannot be read from disk"},
	}
	c.didOpen("untitled:t", "plaintext", "hello\n")
	for _, tt := range tests {
		e := c.callErr("workspace/executeCommand", map[string]any{"command": CommandWatch, "arguments": []any{tt.arg}})
		if e.Code != -32602 || !contains(e.Message, tt.want) {
			t.Errorf("%s: %d %q, want -32602 containing %q", tt.name, e.Code, e.Message, tt.want)
		}
	}
	// An untitled buffer can be watched on save only.
	c.didOpen("untitled:u", "python", "out u\n")
	if diff := cmp.Diff(WatchReply{URI: "untitled:u", Enabled: true}, c.watch("untitled:u", true, nil)); diff != "" {
		t.Errorf("watch untitled (-want +got):\n%s", diff)
	}
}
