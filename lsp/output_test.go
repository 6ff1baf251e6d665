package lsp

import (
	"strings"
	"testing"
	"time"

	"github.com/sandrun/sandrun/executor"
)

// TestOutputBatched: a program writing 2000 single bytes (as Python writes a traceback to
// stderr) reaches the editor in a few notifications, with every byte in order, and a change of
// stream still sends what came before it first. The window is made long so only the size limit,
// the stream change and the run's end send, whatever the machine's load.
func TestOutputBatched(t *testing.T) {
	defer func(w time.Duration) { outputWindow = w }(outputWindow)
	outputWindow = time.Hour
	c, _ := newSession(t, nil)
	var src strings.Builder
	for i := 0; i < 2000; i++ {
		src.WriteString("raw \"x\"\n")
	}
	src.WriteString("err oops\nraw \"y\"\n")
	reply := c.runDone(c.command(CommandRun, map[string]any{"uri": "untitled:bytes", "languageId": "python",
		"text": src.String(), "separateStreams": true}))
	notes := c.runNotes(reply.RunID)
	var datas []string
	var streams []executor.Stream
	for _, m := range notes {
		if m.Method == NotifyOutput {
			o := decode[OutputParams](t, m.Params)
			datas, streams = append(datas, o.Data), append(streams, o.Stream)
		}
	}
	if len(datas) >= 200 {
		t.Fatalf("%d sandrun/output notifications for 2002 writes, want far fewer", len(datas))
	}
	if got, want := strings.Join(datas, ""), strings.Repeat("x", 2000)+"oops\ny"; got != want {
		t.Errorf("streamed %d bytes %q…, want %d bytes", len(got), got[:min(len(got), 40)], len(want))
	}
	n := len(datas)
	if n < 3 || streams[n-2] != executor.Stderr || datas[n-2] != "oops\n" || streams[n-1] != executor.Stdout || datas[n-1] != "y" {
		t.Errorf("last notifications %q on %v: want stdout, then \"oops\\n\" on stderr, then \"y\" on stdout", datas, streams)
	}
}

// TestOutputPrompt: a prompt with no newline is sent while the program waits for its answer.
func TestOutputPrompt(t *testing.T) {
	c, _ := newSession(t, nil)
	uri := "untitled:prompt"
	id := c.command(CommandRun, map[string]any{"uri": uri, "languageId": "python", "interactive": true,
		"text": "raw \"name? \"\nreadline\n"})
	_, m := c.waitNote(0, NotifyStart, forURI(uri))
	runID := decode[StartParams](t, m.Params).RunID
	c.waitOutput(runID, "name? ")
	c.stdin(map[string]any{"runId": runID, "data": "ada\n", "eof": true})
	if got := c.runDone(id).Result.Stdout; got != "name? got ada\n" {
		t.Errorf("stdout %q", got)
	}
}
