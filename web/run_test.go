package web

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sandrun/sandrun/executor"
)

func TestRunOK(t *testing.T) {
	exec := newFake(nil)
	s := newTestServer(t, exec, Options{})
	w := do(t, s, "POST", "/api/v1/run", `{"language":"PY","version":"3","source":"out hi\nstdin\nargs","stdin":"in\n","args":["a","b"],
		"limits":{"cpu_time_ms":1500,"wall_time_ms":4000,"memory_mib":128,"processes":8,"output_kib":64},
		"compile_limits":{"cpu_time_ms":9000}}`)
	if w.Code != http.StatusOK {
		t.Fatalf("status %d, body %s", w.Code, w.Body)
	}
	var got executor.Result
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	want := executor.Result{Language: "python", Version: "3.11.2", Status: "ok", Stdout: "hi\nin\na\nb\n", CPUTimeMs: 12, WallTimeMs: 15, MemoryKiB: 2048}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
	wantReq := executor.Request{
		Language: "python", Version: "3.11.2",
		Files: []executor.File{{Name: "main.py", Content: []byte("out hi\nstdin\nargs")}},
		Stdin: []byte("in\n"), Args: []string{"a", "b"},
		Limits:        executor.Limits{CPUTimeMs: 1500, WallTimeMs: 4000, MemoryBytes: 128 << 20, Processes: 8, OutputBytes: 64 << 10},
		CompileLimits: executor.Limits{CPUTimeMs: 9000},
		OutputBudget:  DefaultOutputBudget,
	}
	if diff := cmp.Diff(wantReq, lastRequest(t, exec)); diff != "" {
		t.Errorf("executor request (-want +got):\n%s", diff)
	}
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q", ct)
	}
}

func TestRunFiles(t *testing.T) {
	exec := newFake(nil)
	s := newTestServer(t, exec, Options{})
	w := do(t, s, "POST", "/api/v1/run", `{"language":"python","main":"b.py","files":[
		{"name":"a.py","content":"b3V0IGE=","encoding":"base64"},
		{"name":"b.py","content":"6f75742062","encoding":"hex"},
		{"name":"c.txt","content":"plain","encoding":"utf8"}]}`)
	if w.Code != http.StatusOK {
		t.Fatalf("status %d, body %s", w.Code, w.Body)
	}
	if !strings.Contains(w.Body.String(), `"stdout":"b\n"`) {
		t.Errorf("body %s: want the main file b.py run", w.Body)
	}
	want := []executor.File{{Name: "a.py", Content: []byte("out a")}, {Name: "b.py", Content: []byte("out b")}, {Name: "c.txt", Content: []byte("plain")}}
	if diff := cmp.Diff(want, lastRequest(t, exec).Files); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
}

// TestRunOutcomes: a program's outcome is a 200 with the Result, whatever it is.
func TestRunOutcomes(t *testing.T) {
	for _, tc := range []struct{ src, status string }{
		{"exit 3", "runtime_error"}, {"signal SIGSEGV", "signaled"}, {"timeout", "time_limit"},
		{"oom", "memory_limit"}, {"flood", "output_limit"}, {"internal", "internal_error"},
	} {
		t.Run(tc.status, func(t *testing.T) {
			s := newTestServer(t, nil, Options{})
			body, _ := json.Marshal(map[string]string{"language": "python", "source": tc.src})
			w := do(t, s, "POST", "/api/v1/run", string(body))
			var got executor.Result
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || w.Code != 200 {
				t.Fatalf("status %d, body %s, err %v", w.Code, w.Body, err)
			}
			if string(got.Status) != tc.status {
				t.Errorf("status %q, want %q", got.Status, tc.status)
			}
		})
	}
}

func TestRunErrors(t *testing.T) {
	busy := func(ctx context.Context, req executor.Request, on func(executor.Event)) (executor.Result, error) {
		return executor.Result{}, executor.ErrBusy
	}
	broken := func(ctx context.Context, req executor.Request, on func(executor.Event)) (executor.Result, error) {
		return executor.Result{}, errBoom
	}
	refused := func(ctx context.Context, req executor.Request, on func(executor.Event)) (executor.Result, error) {
		return executor.Result{}, executor.Invalid("files[0].name", "file name %q is not accepted", "../x")
	}
	tooSmall := func(ctx context.Context, req executor.Request, on func(executor.Event)) (executor.Result, error) {
		return executor.Result{}, executor.Invalid("limits.memory_bytes", "1 MiB is out of range: it must be between 4 MiB and 8 GiB")
	}
	for _, tc := range []struct {
		name   string
		body   string
		run    func(context.Context, executor.Request, func(executor.Event)) (executor.Result, error)
		status int
		field  string
		msg    string // a part of the error sentence
	}{
		{"empty body", ``, nil, 400, "", "empty"},
		{"malformed", `{"language":`, nil, 400, "", "not valid JSON"},
		{"syntax", `{"language" "python"}`, nil, 400, "", "the request is not valid JSON at byte 13"},
		{"not an object key", `{oops}`, nil, 400, "", "the request is not valid JSON at byte 2"},
		{"not an object", `[1,2]`, nil, 400, "", "the request must be an object, not an array"},
		{"two values", `{"language":"python","source":""} {}`, nil, 400, "", "more than one JSON value"},
		{"unknown field", `{"lang":"python","source":"x"}`, nil, 400, "lang", `unknown field "lang"`},
		{"wrong type", `{"language":3,"source":"x"}`, nil, 400, "language", "must be a string, not a number"},
		{"wrong limit type", `{"language":"python","source":"x","limits":{"cpu_time_ms":"2s"}}`, nil, 400, "limits.cpu_time_ms", "must be an integer"},
		{"missing language", `{"source":"x"}`, nil, 400, "language", "is required"},
		{"unknown language", `{"language":"pyhton","source":"x"}`, nil, 400, "language", `unknown language "pyhton"`},
		{"not installed", `{"language":"cobol","source":"x"}`, nil, 400, "language", "apt-get install gnucobol"},
		{"version mismatch", `{"language":"python","version":"3.10","source":"x"}`, nil, 400, "version", "this server has Python 3.11.2"},
		{"bad version selector", `{"language":"python","version":"latest","source":"x"}`, nil, 400, "version", "not a version selector"},
		{"no program", `{"language":"python"}`, nil, 400, "files", "no program given"},
		{"source and files", `{"language":"python","source":"x","files":[{"name":"a.py","content":"x"}]}`, nil, 400, "source", "not both"},
		{"file without name", `{"language":"python","files":[{"content":"x"}]}`, nil, 400, "files[0].name", "is required"},
		{"bad encoding", `{"language":"python","files":[{"name":"a.py","content":"x","encoding":"rot13"}]}`, nil, 400, "files[0].encoding", `"rot13" is not an encoding`},
		{"bad base64", `{"language":"python","files":[{"name":"a.py","content":"!!","encoding":"base64"}]}`, nil, 400, "files[0].content", "not valid base64"},
		{"limit too high", `{"language":"python","source":"x","limits":{"memory_mib":999999}}`, nil, 400, "limits.memory_mib", "give 4 to 2048 MiB"},
		{"limit negative", `{"language":"python","source":"x","compile_limits":{"cpu_time_ms":-5}}`, nil, 400, "compile_limits.cpu_time_ms", "-5 is out of range"},
		{"executor refuses", `{"language":"python","source":"x"}`, refused, 400, "files[0].name", "not accepted"},
		{"executor refuses a limit", `{"language":"python","source":"x","limits":{"memory_mib":4}}`, tooSmall, 400, "limits.memory_mib", "between 4 MiB"},
		{"memory below a sandbox's least", `{"language":"python","source":"x","limits":{"memory_mib":1}}`, nil, 400, "limits.memory_mib", "1 is out of range: give 4 to 2048 MiB"},
		{"busy", `{"language":"python","source":"x"}`, busy, 503, "", "executor busy"},
		{"machinery", `{"language":"python","source":"x"}`, broken, 500, "", "connection refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestServer(t, newFake(tc.run), Options{})
			w := do(t, s, "POST", "/api/v1/run", tc.body)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d; body %s", w.Code, tc.status, w.Body)
			}
			var got apiError
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
				t.Fatalf("body %q is not an {error} object: %v", w.Body, err)
			}
			if got.Field != tc.field || !strings.Contains(got.Error, tc.msg) {
				t.Errorf("got field %q error %q; want field %q and an error containing %q", got.Field, got.Error, tc.field, tc.msg)
			}
			if tc.status == 503 && w.Header().Get("Retry-After") == "" {
				t.Error("503 without Retry-After")
			}
		})
	}
}

func TestRunBodyTooLarge(t *testing.T) {
	s := newTestServer(t, nil, Options{MaxBodyBytes: 100})
	big := `{"language":"python","source":"` + strings.Repeat("x", 200) + `"}`
	t.Run("content-length", func(t *testing.T) {
		w := do(t, s, "POST", "/api/v1/run", big)
		if w.Code != http.StatusRequestEntityTooLarge || !strings.Contains(w.Body.String(), "larger than 100 B") {
			t.Errorf("status %d, body %s; want 413 naming the limit", w.Code, w.Body)
		}
	})
	t.Run("chunked", func(t *testing.T) {
		req := newChunkedRequest("/api/v1/run", big)
		w := serve(s, req)
		if w.Code != http.StatusRequestEntityTooLarge || !strings.Contains(w.Body.String(), `"error"`) {
			t.Errorf("status %d, body %s; want 413 with an {error}", w.Code, w.Body)
		}
	})
}

// TestRunCases: cases reach the executor as given.
func TestRunCases(t *testing.T) {
	exec := newFake(nil)
	s := newTestServer(t, exec, Options{})
	w := do(t, s, "POST", "/api/v1/run", `{"language":"python","source":"stdin","cases":[{"stdin":"1\n","expected_output":"1"},{"stdin":"2\n"}]}`)
	if w.Code != 200 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	one := "1"
	want := []executor.Case{{Stdin: []byte("1\n"), Expected: &one}, {Stdin: []byte("2\n")}}
	if diff := cmp.Diff(want, lastRequest(t, exec).Cases); diff != "" {
		t.Errorf("cases (-want +got):\n%s", diff)
	}
}
