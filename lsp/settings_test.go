package lsp

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sandrun/sandrun/executor"
)

func TestSettingsReachTheRun(t *testing.T) {
	f := newFake()
	o := &fakeOpener{f: f}
	c := startServer(t, Options{Open: o.open})
	c.initialize(nil, map[string]any{"sandrun": map[string]any{"timeLimit": "1500ms", "memoryLimit": "128MiB"}})
	run := func() executor.Request {
		c.runDone(c.command(CommandRun, map[string]any{"uri": "untitled:s", "languageId": "python", "text": "out x\n"}))
		reqs := f.Requests()
		return reqs[len(reqs)-1]
	}
	if got, want := run().Limits, (executor.Limits{CPUTimeMs: 1500, MemoryBytes: 128 << 20}); got != want {
		t.Errorf("limits from initializationOptions = %+v, want %+v", got, want)
	}

	// didChangeConfiguration replaces the settings; a new executor opens, the old one closes.
	c.notify("workspace/didChangeConfiguration", map[string]any{"settings": map[string]any{"sandrun": map[string]any{
		"executor": "tcp://127.0.0.1:9", "tokenFile": "/tmp/tok", "timeLimit": 3, "memoryLimit": 64}}})
	if got, want := run().Limits, (executor.Limits{CPUTimeMs: 3000, MemoryBytes: 64 << 20}); got != want {
		t.Errorf("limits after didChangeConfiguration = %+v, want %+v", got, want)
	}
	opened, closed := o.configs()
	wantOpened := []ExecutorConfig{{Spec: "local"}, {Spec: "tcp://127.0.0.1:9", TokenFile: "/tmp/tok"}}
	if diff := cmp.Diff(wantOpened, opened); diff != "" {
		t.Errorf("executors opened (-want +got):\n%s", diff)
	}
	deadline := time.Now().Add(wait)
	for len(closed) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		_, closed = o.configs()
	}
	if diff := cmp.Diff([]ExecutorConfig{{Spec: "local"}}, closed); diff != "" {
		t.Errorf("executors closed (-want +got):\n%s", diff)
	}

	// A bad value is reported and that setting keeps its default.
	from := c.noteCount()
	c.notify("workspace/didChangeConfiguration", map[string]any{"settings": map[string]any{"sandrun": map[string]any{"timeLimit": "soon"}}})
	_, warn := c.waitNote(from, "window/showMessage", nil)
	if got := decode[map[string]any](t, warn.Params); got["type"] != 2.0 || got["message"] != `setting sandrun.timeLimit: soon is not a time limit; use a number of seconds (2) or a duration ("1500ms", "2s")` {
		t.Errorf("warning = %v", got)
	}
	if got := run().Limits; got != (executor.Limits{}) {
		t.Errorf("limits after a bad setting = %+v, want the defaults", got)
	}
}

func TestExecutorOpenFails(t *testing.T) {
	f := newFake()
	c := startServer(t, Options{Open: (&fakeOpener{f: f}).open})
	c.initialize(nil, map[string]any{"sandrun.executor": "tcp://unreachable:1"})
	id := c.command(CommandRun, map[string]any{"uri": "untitled:s", "languageId": "python", "text": "out x\n"})
	m := c.response(id)
	want := `dial tcp: connection refused (sandrun.executor is "tcp://unreachable:1"; check it and sandrun.tokenFile)`
	if m.Error == nil || m.Error.Code != -32803 || m.Error.Message != want {
		t.Errorf("answer = %+v, want -32803 %q", m.Error, want)
	}
	_, note := c.waitNote(0, NotifyResult, nil)
	if r := decode[ResultParams](t, note.Params); r.Error != want || r.Cancelled || r.Result != nil {
		t.Errorf("sandrun/result = %+v", r)
	}
}

func TestPullSettings(t *testing.T) {
	f := newFake()
	c := startServer(t, Options{Open: (&fakeOpener{f: f}).open})
	c.mu.Lock()
	c.settings = json.RawMessage(`{"timeLimit": 4, "executor": "local"}`)
	c.mu.Unlock()
	c.initialize(map[string]any{"workspace": map[string]any{"configuration": true}}, nil)
	deadline := time.Now().Add(wait)
	for {
		c.runDone(c.command(CommandRun, map[string]any{"uri": "untitled:s", "languageId": "python", "text": "out x\n"}))
		reqs := f.Requests()
		if reqs[len(reqs)-1].Limits.CPUTimeMs == 4000 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("settings pulled with workspace/configuration never applied: limits %+v", reqs[len(reqs)-1].Limits)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestParseSettings(t *testing.T) {
	tests := []struct {
		in      any
		time    time.Duration
		mem     int64
		timeErr bool
		memErr  bool
	}{
		{in: nil},
		{in: "", time: 0, mem: 0},
		{in: 2.0, time: 2 * time.Second, mem: 2 << 20},
		{in: "2", time: 2 * time.Second, mem: 2 << 20},
		{in: "1500ms", time: 1500 * time.Millisecond, memErr: true},
		{in: "256MiB", timeErr: true, mem: 256 << 20},
		{in: "1G", timeErr: true, mem: 1 << 30},
		{in: "512 kib", timeErr: true, mem: 512 << 10},
		{in: "100MB", timeErr: true, mem: 100 * 1000 * 1000},
		{in: -1.0, timeErr: true, memErr: true},
		{in: "lots", timeErr: true, memErr: true},
		{in: true, timeErr: true, memErr: true},
	}
	for _, tt := range tests {
		d, err := parseTimeLimit(tt.in)
		if (err != nil) != tt.timeErr || d != tt.time {
			t.Errorf("parseTimeLimit(%#v) = %v, %v; want %v, error %v", tt.in, d, err, tt.time, tt.timeErr)
		}
		m, err := parseMemoryLimit(tt.in)
		if (err != nil) != tt.memErr || m != tt.mem {
			t.Errorf("parseMemoryLimit(%#v) = %v, %v; want %v, error %v", tt.in, m, err, tt.mem, tt.memErr)
		}
	}
}

func TestSandrunSection(t *testing.T) {
	tests := []struct {
		raw       string
		want      map[string]any
		wantFound bool
	}{
		{`{"sandrun": {"executor": "local"}}`, map[string]any{"executor": "local"}, true},
		{`{"sandrun.executor": "local", "other": 1}`, map[string]any{"executor": "local", "other": 1.0}, true},
		{`{"timeLimit": 2}`, map[string]any{"timeLimit": 2.0}, true},
		{`{"python": {}}`, map[string]any{"python": map[string]any{}}, false},
		{`null`, nil, false},
		{``, nil, false},
	}
	for _, tt := range tests {
		got, found := sandrunSection(json.RawMessage(tt.raw))
		if diff := cmp.Diff(tt.want, got); diff != "" || found != tt.wantFound {
			t.Errorf("sandrunSection(%s): found %v, want %v; (-want +got):\n%s", tt.raw, found, tt.wantFound, diff)
		}
	}
}

// TestRuntimeSetting: sandrun.runtime picks a runtime per language; an unknown runtime is
// reported and the language keeps its default.
func TestRuntimeSetting(t *testing.T) {
	f := newFake()
	o := &fakeOpener{f: f}
	c := startServer(t, Options{Open: o.open})
	c.initialize(nil, map[string]any{"sandrun": map[string]any{"runtime": map[string]any{"py": "pypy"}}})
	run := func() executor.Request {
		c.runDone(c.command(CommandRun, map[string]any{"uri": "untitled:s", "languageId": "python", "text": "out x\n"}))
		reqs := f.Requests()
		return reqs[len(reqs)-1]
	}
	if got := run().Runtime; got != "pypy" {
		t.Errorf("runtime = %q, want pypy from sandrun.runtime", got)
	}
	from := c.noteCount()
	c.notify("workspace/didChangeConfiguration", map[string]any{"settings": map[string]any{"sandrun": map[string]any{"runtime": map[string]any{"python": "jython"}}}})
	_, warn := c.waitNote(from, "window/showMessage", nil)
	if got := decode[map[string]any](t, warn.Params); !strings.Contains(fmt.Sprint(got["message"]), `python has no runtime "jython"`) {
		t.Errorf("warning = %v", got)
	}
	if got := run().Runtime; got != "" {
		t.Errorf("runtime after a bad setting = %q, want the default", got)
	}
}
