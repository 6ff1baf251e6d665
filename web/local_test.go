package web

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket/wsjson"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/executor/local"
	"github.com/sandrun/sandrun/executor/sandbox/sandboxtest"
)

// TestMain lets the sandbox re-execute this test binary as its init.
func TestMain(m *testing.M) { sandboxtest.Main(m) }

// localServer is an httptest server around the real local executor, shared by the end-to-end
// tests (one executor, like `sandrun serve`).
var localServer = sync.OnceValues(func() (*httptest.Server, error) {
	local, err := local.New(local.Options{})
	if err != nil {
		return nil, err
	}
	s, err := New(Options{Executor: local, Rate: Rate{N: -1}, Logger: quietLogger()})
	if err != nil {
		return nil, err
	}
	return httptest.NewServer(s), nil
})

// needLocal returns the local server's URL, skipping the test where sandboxed runs cannot work
// (not Linux, or a language's toolchain is not installed: CI installs them).
func needLocal(t *testing.T, langs ...string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("runs real programs in the sandbox; skipped with -short")
	}
	srv, err := localServer()
	if err != nil {
		t.Fatalf("local executor: %v", err)
	}
	resp, err := http.Get(srv.URL + "/api/v1/languages")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list []Language
	json.NewDecoder(resp.Body).Decode(&list)
	for _, want := range langs {
		info, _, ok := findLanguage(languageInfos(list), want)
		if !ok || !info.Available {
			t.Skipf("%s is not installed here (%s); CI installs it", want, info.Missing)
		}
	}
	return srv.URL
}

func languageInfos(list []Language) []executor.LanguageInfo {
	out := make([]executor.LanguageInfo, len(list))
	for i, l := range list {
		out[i] = l.LanguageInfo
	}
	return out
}

// post sends a JSON body and decodes the JSON answer into out.
func post(t *testing.T, url, body string, out any) int {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(data, out); err != nil {
		t.Fatalf("answer %q: %v", data, err)
	}
	return resp.StatusCode
}

// TestLocalRun runs real programs through POST /api/v1/run.
func TestLocalRun(t *testing.T) {
	for _, tc := range []struct {
		lang, body string
		status     executor.Status
		stdout     string
		exit       int
	}{
		{"python", `{"language":"python","source":"print(input()[::-1])","stdin":"hello\n"}`, "ok", "olleh\n", 0},
		{"c", `{"language":"c","files":[{"name":"main.c","content":"#include <stdio.h>\nint main(){puts(\"hi from C\");return 3;}"}]}`, "runtime_error", "hi from C\n", 3},
		{"javascript", `{"language":"javascript","source":"console.log([1,2,3].map(x => x * 2).join(' '))"}`, "ok", "2 4 6\n", 0},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			url := needLocal(t, tc.lang)
			var res executor.Result
			if code := post(t, url+"/api/v1/run", tc.body, &res); code != 200 {
				t.Fatalf("status %d: %+v", code, res)
			}
			if res.Status != tc.status || res.Stdout != tc.stdout || res.ExitCode != tc.exit {
				t.Errorf("got status %q exit %d stdout %q (stderr %q, message %q); want %q, %d, %q",
					res.Status, res.ExitCode, res.Stdout, res.Stderr, res.Message, tc.status, tc.exit, tc.stdout)
			}
			if res.WallTimeMs < 0 || res.MemoryKiB <= 0 {
				t.Errorf("wall %d ms, memory %d KiB: want both measured", res.WallTimeMs, res.MemoryKiB)
			}
		})
	}
}

// TestLocalPiston runs real programs through the Piston route.
func TestLocalPiston(t *testing.T) {
	t.Run("compile error", func(t *testing.T) {
		url := needLocal(t, "c")
		var got pistonResponse
		code := post(t, url+"/api/v2/execute", `{"language":"c","version":"*","files":[{"content":"int main( { return 0; }"}]}`, &got)
		if code != 200 || got.Compile == nil || got.Compile.Status == nil || *got.Compile.Status != "RE" {
			t.Fatalf("status %d, %+v: want a compile stage with status RE", code, got)
		}
		if !strings.Contains(got.Compile.Stderr, "error") || got.Run.Stderr != got.Compile.Stderr {
			t.Errorf("compile stderr %q, run stderr %q: want gcc's error, repeated as run", got.Compile.Stderr, got.Run.Stderr)
		}
	})
	t.Run("interleaved output and timeout", func(t *testing.T) {
		url := needLocal(t, "python")
		var got pistonResponse
		body := `{"language":"py","version":"3","files":[{"content":"import sys\nprint('a', flush=True)\nsys.stderr.write('b\\n'); sys.stderr.flush()\nprint('c', flush=True)\nwhile True: pass"}],"run_cpu_time":500}`
		if code := post(t, url+"/api/v2/execute", body, &got); code != 200 {
			t.Fatalf("status %d: %+v", code, got)
		}
		// stdout and stderr are two pipes read apart: "b" may arrive before "a", but the output
		// holds all three lines, stdout's in order. "b\n" is one write: print() to stderr writes
		// "b" and "\n" apart, and stdout's "c\n" may land between them (seen in CI).
		out := got.Run.Output
		if len(out) != 6 || !strings.Contains(out, "b\n") || strings.ReplaceAll(out, "b\n", "") != "a\nc\n" {
			t.Errorf("output %q: want a, b, c interleaved", out)
		}
		if got.Run.Stdout != "a\nc\n" || got.Run.Status == nil || *got.Run.Status != "TO" || got.Compile != nil {
			t.Errorf("run %+v: want stdout a c, status TO, no compile stage", got.Run)
		}
	})
}

// TestLocalMergedOutput: with merge_output the program gets one descriptor for stdout and
// stderr, so the output is in exactly the order it was written (v1 and Piston's "output").
func TestLocalMergedOutput(t *testing.T) {
	url := needLocal(t, "python")
	src := "import sys\nfor i in range(30):\n    print('out', i, flush=True)\n    print('err', i, file=sys.stderr, flush=True)\n"
	var want strings.Builder
	for i := range 30 {
		fmt.Fprintf(&want, "out %d\nerr %d\n", i, i)
	}
	body, _ := json.Marshal(map[string]any{"language": "python", "source": src, "merge_output": true})
	var res executor.Result
	if code := post(t, url+"/api/v1/run", string(body), &res); code != 200 || res.Stdout != want.String() || res.Stderr != "" {
		t.Errorf("v1: %d stdout %q stderr %q; want everything in order in stdout", code, res.Stdout, res.Stderr)
	}
	body, _ = json.Marshal(map[string]any{"language": "python", "version": "*", "files": []any{map[string]any{"content": src}}, "merge_output": true})
	var got pistonResponse
	if code := post(t, url+"/api/v2/execute", string(body), &got); code != 200 || got.Run.Output != want.String() {
		t.Errorf("piston: %d output %q; want everything in order", code, got.Run.Output)
	}
}

// TestLocalCasesWrongAnswer: a case whose output differs is wrong_answer, and every case result
// is complete (language and version too).
func TestLocalCasesWrongAnswer(t *testing.T) {
	url := needLocal(t, "python")
	body := `{"language":"python","source":"print(int(input()) * 2)","cases":[{"stdin":"2\n","expected_output":"4\n"},{"stdin":"3\n","expected_output":"7\n"}]}`
	var res executor.Result
	if code := post(t, url+"/api/v1/run", body, &res); code != 200 || len(res.Cases) != 2 {
		t.Fatalf("status %d: %+v", code, res)
	}
	if res.Status != executor.StatusWrongAnswer || res.Cases[0].Status != executor.StatusOK || res.Cases[1].Status != executor.StatusWrongAnswer {
		t.Errorf("statuses %s, %s, %s; want wrong_answer, ok, wrong_answer (%s)", res.Status, res.Cases[0].Status, res.Cases[1].Status, res.Message)
	}
	for i, c := range res.Cases {
		if c.Language != "python" || c.Version == "" {
			t.Errorf("case %d: language %q version %q, want them filled", i+1, c.Language, c.Version)
		}
	}
}

// TestLocalStream: a real program's output arrives over the WebSocket as output messages, in
// order, then the Result. Whether "one" and "two" come as two messages depends on when the
// server read the pipe (on a loaded machine, both at once): TestLocalStreamInteractive shows
// that output arrives while the program runs.
func TestLocalStream(t *testing.T) {
	needLocal(t, "python")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // a hang only
	defer cancel()
	srv, _ := localServer()
	conn := dialStream(t, ctx, srv, nil)
	wsjson.Write(ctx, conn, map[string]any{"language": "python",
		"source": "import time\nprint('one', flush=True)\ntime.sleep(0.3)\nprint('two', flush=True)"})
	msgs := readUntilClosed(t, ctx, conn)
	var kinds, text []string
	for _, m := range msgs {
		kinds = append(kinds, m.Type)
		text = append(text, m.Data)
	}
	if len(msgs) < 3 || kinds[0] != "started" || kinds[len(kinds)-1] != "result" || strings.Join(text, "") != "one\ntwo\n" {
		t.Fatalf("messages %v, data %q: want started, output one and two, result", kinds, text)
	}
	for _, k := range kinds[1 : len(kinds)-1] {
		if k != "output" {
			t.Fatalf("messages %v: want only output between started and result", kinds)
		}
	}
	if res := msgs[len(msgs)-1].Result; res.Status != "ok" || res.Stdout != "one\ntwo\n" {
		t.Errorf("result %+v", res)
	}
}

// TestLocalStreamInteractive: with "interactive":true the program reads input sent while it
// runs: it answers the first line before the second is sent, and "eof" ends its stdin.
func TestLocalStreamInteractive(t *testing.T) {
	needLocal(t, "python")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // a hang only
	defer cancel()
	srv, _ := localServer()
	conn := dialStream(t, ctx, srv, nil)
	wsjson.Write(ctx, conn, map[string]any{"language": "python", "interactive": true,
		"source": "import sys\nname = input('name? ')\nprint('hi', name, flush=True)\nprint('rest', repr(sys.stdin.read()))"})
	var m streamOut
	if err := wsjson.Read(ctx, conn, &m); err != nil || m.Type != "started" {
		t.Fatalf("first message %+v, %v", m, err)
	}
	wsjson.Write(ctx, conn, map[string]any{"type": "stdin", "data": "Ada\n"})
	var out strings.Builder
	for !strings.Contains(out.String(), "hi Ada\n") {
		if err := wsjson.Read(ctx, conn, &m); err != nil {
			t.Fatalf("waiting for the answer to the first line: %v (output so far %q)", err, out.String())
		}
		out.WriteString(m.Data)
	}
	wsjson.Write(ctx, conn, map[string]any{"type": "stdin", "data": "more", "eof": true})
	msgs := readUntilClosed(t, ctx, conn)
	res := msgs[len(msgs)-1].Result
	if res == nil || res.Status != "ok" || res.Stdout != "name? hi Ada\nrest 'more'\n" {
		t.Fatalf("result %+v: want ok and both inputs read", res)
	}
}
