package web

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sandrun/sandrun/executor"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/ with what the server answers now")

// pistonDir holds recorded Piston requests (NAME.request.json, sent as-is to POST
// /api/v2/execute) and the answers expected (NAME.response.json: {status, body}).
const pistonDir = "../testdata/piston"

// pistonContentType is the Content-Type a case is sent with, when not application/json.
// (piston-client 1.0.2 from npm sends its JSON as text/plain; today's Piston and sandrun answer
// 415, because a browser page of any site may send text/plain to a local server.)
var pistonContentType = map[string]string{"piston-client-text-plain": "text/plain;charset=UTF-8"}

// TestPistonContract feeds each recorded Piston request to the server (fake executor) and
// checks the answer against its golden file and against Piston's response shape.
func TestPistonContract(t *testing.T) {
	reqs, err := filepath.Glob(filepath.Join(pistonDir, "*.request.json"))
	if err != nil || len(reqs) == 0 {
		t.Fatalf("no recorded requests in %s (%v)", pistonDir, err)
	}
	for _, reqFile := range reqs {
		name := strings.TrimSuffix(filepath.Base(reqFile), ".request.json")
		t.Run(name, func(t *testing.T) {
			body, err := os.ReadFile(reqFile)
			if err != nil {
				t.Fatal(err)
			}
			s := newTestServer(t, nil, Options{})
			req := newChunkedRequest("/api/v2/execute", string(body))
			if ct, ok := pistonContentType[name]; ok {
				req.Header.Set("Content-Type", ct)
			}
			w := serve(s, req)
			checkPistonShape(t, w.Code, w.Body.Bytes())
			compareGolden(t, filepath.Join(pistonDir, name+".response.json"), w.Code, w.Body.Bytes())
		})
	}
}

func TestPistonRuntimes(t *testing.T) {
	s := newTestServer(t, nil, Options{})
	w := do(t, s, "GET", "/api/v2/runtimes", "")
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	var got []map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	for _, rt := range got {
		if diff := cmp.Diff([]string{"aliases", "language", "version"}, sortedKeys(rt)); diff != "" {
			t.Errorf("runtime %v keys (-want +got):\n%s", rt, diff)
		}
	}
	compareGolden(t, filepath.Join(pistonDir, "runtimes.response.json"), w.Code, w.Body.Bytes())
}

// checkPistonShape checks an answer has exactly Piston's fields: {message} for an error,
// {language, version, run, compile?} with every stage field otherwise.
func checkPistonShape(t *testing.T, status int, body []byte) {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("answer %q is not a JSON object: %v", body, err)
	}
	if status != http.StatusOK {
		if diff := cmp.Diff([]string{"message"}, sortedKeys(m)); diff != "" {
			t.Errorf("error answer keys (-want +got):\n%s", diff)
		}
		return
	}
	top := sortedKeys(m)
	if !slices.Equal(top, []string{"language", "run", "version"}) && !slices.Equal(top, []string{"compile", "language", "run", "version"}) {
		t.Errorf("answer keys %v; want language, version, run and maybe compile", top)
	}
	stageKeys := []string{"code", "cpu_time", "memory", "message", "output", "signal", "status", "stderr", "stdout", "wall_time"}
	for _, stage := range []string{"run", "compile"} {
		st, ok := m[stage].(map[string]any)
		if !ok {
			continue
		}
		if diff := cmp.Diff(stageKeys, sortedKeys(st)); diff != "" {
			t.Errorf("%s keys (-want +got):\n%s", stage, diff)
		}
		if (st["code"] == nil) == (st["signal"] == nil) && st["status"] != "XX" {
			t.Errorf("%s: exactly one of code and signal must be null: %v", stage, st)
		}
		if (st["status"] == nil) != (st["message"] == nil) {
			t.Errorf("%s: status and message must be both null or both set: %v", stage, st)
		}
	}
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// golden is a recorded answer.
type golden struct {
	Status int             `json:"status"`
	Body   json.RawMessage `json:"body"`
}

// compareGolden compares an answer with the golden file (rewriting it with -update).
func compareGolden(t *testing.T, file string, status int, body []byte) {
	t.Helper()
	if *update {
		var buf bytes.Buffer
		if err := json.Indent(&buf, body, "  ", "  "); err != nil {
			t.Fatalf("answer is not JSON: %v", err)
		}
		out := []byte("{\n  \"status\": " + strconv.Itoa(status) + ",\n  \"body\": " + strings.TrimSpace(buf.String()) + "\n}\n")
		if err := os.WriteFile(file, out, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test ./web -run %s -update to record it)", err, t.Name())
	}
	var want golden
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	var wantBody, gotBody any
	json.Unmarshal(want.Body, &wantBody)
	if err := json.Unmarshal(body, &gotBody); err != nil {
		t.Fatalf("answer %q is not JSON: %v", body, err)
	}
	if status != want.Status {
		t.Errorf("status %d, want %d", status, want.Status)
	}
	if diff := cmp.Diff(wantBody, gotBody); diff != "" {
		t.Errorf("answer differs from %s (-want +got):\n%s", file, diff)
	}
}

// TestPistonExecutorErrors: the executor's refusals keep Piston's shape and name Piston's field.
func TestPistonExecutorErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		err    error
		status int
		want   string
	}{
		{"limit", executor.Invalid("limits.memory_bytes", "1000 B is out of range: it must be between 4 MiB and 8 GiB"), 400,
			"run_memory_limit: 1000 B is out of range: it must be between 4 MiB and 8 GiB"},
		{"file name", executor.Invalid("files[0].name", "file name \"../x\" is not accepted"), 400, "files[0].name: file name \"../x\" is not accepted"},
		{"busy", executor.ErrBusy, 503, executor.ErrBusy.Error()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			exec := newFake(func(ctx context.Context, req executor.Request, on func(executor.Event)) (executor.Result, error) {
				return executor.Result{}, tc.err
			})
			w := do(t, newTestServer(t, exec, Options{}), "POST", "/api/v2/execute",
				`{"language":"python","version":"*","files":[{"content":"x"}],"run_memory_limit":4194304}`)
			var got pistonError
			json.Unmarshal(w.Body.Bytes(), &got)
			if w.Code != tc.status || got.Message != tc.want {
				t.Errorf("status %d, message %q; want %d, %q", w.Code, got.Message, tc.status, tc.want)
			}
		})
	}
}

// TestPistonPublicBasePath: a client set up for the public Piston instance
// (https://emkc.org/api/v2/piston/) works with only the host changed.
func TestPistonPublicBasePath(t *testing.T) {
	s := newTestServer(t, nil, Options{})
	body := `{"language":"py","version":"*","files":[{"content":"print(42)"}]}`
	a, b := do(t, s, "POST", "/api/v2/execute", body), do(t, s, "POST", "/api/v2/piston/execute", body)
	if a.Code != http.StatusOK || b.Code != a.Code || b.Body.String() != a.Body.String() {
		t.Errorf("POST /api/v2/piston/execute: %d %s; want what /api/v2/execute answers: %d %s", b.Code, b.Body, a.Code, a.Body)
	}
	a, b = do(t, s, "GET", "/api/v2/runtimes", ""), do(t, s, "GET", "/api/v2/piston/runtimes", "")
	if a.Code != http.StatusOK || b.Code != a.Code || b.Body.String() != a.Body.String() {
		t.Errorf("GET /api/v2/piston/runtimes: %d %s; want what /api/v2/runtimes answers", b.Code, b.Body)
	}
	if w := do(t, s, "POST", "/api/v2/piston/execute", `{"language":"py"}`); w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), `"message":"version is required as a string"`) {
		t.Errorf("a bad request there: %d %s; want Piston's 400 {message}", w.Code, w.Body)
	}
}
