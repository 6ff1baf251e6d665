package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// hookScripts writes the operator hooks of docs/hooks.md's examples: a pre hook that refuses
// sources saying "forbidden", one that lowers every run's CPU limit to 300 ms, and a post hook
// that appends each finished job's id to a file. It returns their paths and that file.
func hookScripts(t *testing.T) (refuse, lower, record, ids string) {
	t.Helper()
	dir := t.TempDir()
	ids = filepath.Join(dir, "ids")
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	refuse = write("refuse.sh", `if grep -q forbidden; then echo "this runner does not run sources that say forbidden" >&2; exit 1; fi`+"\n")
	// The wall clock only catches hangs: the 300 ms CPU limit must end TestServeHooks' endless
	// loop, and on a loaded CI machine a loop gets a few percent of a core (5s of wall clock
	// ended it first).
	lower = write("lower.sh", `python3 -c 'import json,sys; r=json.load(sys.stdin)["request"]; r["limits"]["cpu_time_ms"]=300; r["limits"]["wall_time_ms"]=120000; print(json.dumps(r))'`+"\n")
	record = write("record.sh", `python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])' >> `+ids+"\n")
	return refuse, lower, record, ids
}

func postJSON(t *testing.T, url, body string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return decodeJSON(resp)
}

// decodeJSON reads resp's JSON object (nil when the body is not one) and closes the body.
func decodeJSON(resp *http.Response) (int, map[string]any) {
	defer resp.Body.Close()
	var m map[string]any
	b, _ := io.ReadAll(resp.Body)
	json.Unmarshal(b, &m)
	return resp.StatusCode, m
}

// TestServeHooks drives the operator's hooks through serve's front doors: a refusal is a 403 with
// the hook's sentence on /api/v1/run, /api/v2/execute and /judge0/submissions, a lowered CPU limit ends an endless
// loop in time_limit, and the post hook sees every job of a burst of 100 exactly once.
func TestServeHooks(t *testing.T) {
	requireSandbox(t)
	refuse, lower, record, ids := hookScripts(t)
	// The burst below is 100 connections from one address: past the default connection cap.
	base, _ := startServe(t, "--rate", "off", "--max-conns-per-ip", "off", "--hook", "pre="+refuse, "--hook", "pre="+lower, "--hook", "post="+record)
	const sentence = "this runner does not run sources that say forbidden"

	code, m := postJSON(t, base+"/api/v1/run", `{"language":"python","source":"print('forbidden')"}`)
	if code != http.StatusForbidden || m["error"] != sentence {
		t.Errorf("/api/v1/run with a refused source: %d %v, want 403 and the hook's sentence", code, m)
	}
	code, m = postJSON(t, base+"/api/v2/execute", `{"language":"python","version":"*","files":[{"content":"print('forbidden')"}]}`)
	if code != http.StatusForbidden || !strings.Contains(m["message"].(string)+" "+asString(m["error"]), sentence) {
		t.Errorf("/api/v2/execute with a refused source: %d %v, want 403 and the hook's sentence", code, m)
	}
	code, m = postJSON(t, base+"/judge0/submissions?wait=true", `{"language_id":71,"source_code":"print('forbidden')"}`)
	if code != http.StatusForbidden || m["error"] != sentence {
		t.Errorf("/judge0/submissions?wait=true with a refused source: %d %v, want 403 and the hook's sentence", code, m)
	}
	// Without wait, the pre hooks run when the job is submitted: the refusal is the answer.
	code, m = postJSON(t, base+"/judge0/submissions", `{"language_id":71,"source_code":"print('forbidden')"}`)
	if code != http.StatusForbidden || m["error"] != sentence {
		t.Errorf("/judge0/submissions with a refused source: %d %v, want 403 and the hook's sentence", code, m)
	}
	code, m = postJSON(t, base+"/api/v1/jobs", `{"language":"python","source":"print('forbidden')"}`)
	if code != http.StatusForbidden || m["error"] != sentence {
		t.Errorf("/api/v1/jobs with a refused source: %d %v, want 403 and the hook's sentence", code, m)
	}
	code, m = postJSON(t, base+"/api/v1/run", `{"language":"python","source":"while True: pass"}`)
	if code != http.StatusOK || m["status"] != "time_limit" || !strings.Contains(asString(m["message"]), "CPU time limit of 300ms") || m["cpu_time_ms"].(float64) > 2000 {
		t.Errorf("an endless loop under the hook's 300 ms CPU limit: %d %v, want time_limit", code, m)
	}

	// The post hooks run after the answers: the six jobs above reach the file in their own
	// time. Wait for them, then for the burst's 100 (or the test's timeout).
	readIDs := func(n int) []string {
		for {
			b, _ := os.ReadFile(ids)
			if got := strings.Fields(string(b)); len(got) >= n {
				return got
			}
			waitALittle()
		}
	}
	before := len(readIDs(6))
	var wg sync.WaitGroup
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := http.Post(base+"/api/v1/run", "application/json", strings.NewReader(`{"language":"python","source":"print(1)"}`))
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
	got := readIDs(before + 100)
	seen := map[string]bool{}
	for _, id := range got {
		if seen[id] {
			t.Errorf("the post hook saw job %s twice", id)
		}
		seen[id] = true
	}
	if len(got) != before+100 {
		t.Errorf("the post hook saw %d jobs, want %d (%d before the burst of 100)", len(got), before+100, before)
	}
}

// TestExecutorHooks: an executor's pre hook refuses over tcp://, and sandrun run says why and
// exits 125 (the program was not run).
func TestExecutorHooks(t *testing.T) {
	requireSandbox(t)
	refuse, _, _, _ := hookScripts(t)
	dir := t.TempDir()
	tok := filepath.Join(dir, "token")
	if err := os.WriteFile(tok, []byte("hooks-test-token-0123456789abcdef\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	addr, _ := startExecutor(t, "--token-file", tok, "--hook", "pre="+refuse)
	prog := writeFile(t, dir, "bad.py", "print('forbidden')\n")
	out, stderr, code := sandrunCLI(t, "", "run", "--executor", addr, "--token-file", tok, prog)
	if code != 125 || out != "" || !strings.Contains(stderr, "this runner does not run sources that say forbidden") {
		t.Errorf("sandrun run of a refused source over tcp: exit %d, stdout %q, stderr %q; want exit 125 and the hook's sentence", code, out, stderr)
	}
	good := writeFile(t, dir, "good.py", "print('fine')\n")
	out, stderr, code = sandrunCLI(t, "", "run", "--executor", addr, "--token-file", tok, good)
	if code != 0 || out != "fine\n" {
		t.Errorf("sandrun run of an allowed source over tcp: exit %d, stdout %q, stderr %q", code, out, stderr)
	}
}

func asString(v any) string { s, _ := v.(string); return s }

func waitALittle() { time.Sleep(50 * time.Millisecond) }

// TestServeCallbacks: a job's callback_url is called only for a host given with
// --callback-allow; other hosts are refused when the job is submitted.
func TestServeCallbacks(t *testing.T) {
	requireSandbox(t)
	got := make(chan map[string]any, 4)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m map[string]any
		json.NewDecoder(r.Body).Decode(&m)
		m["method"] = r.Method
		got <- m
	}))
	defer recv.Close()
	host := strings.TrimPrefix(recv.URL, "http://")
	base, _ := startServe(t, "--rate", "off", "--callback-allow", host, "--job-ttl", "5m", "--max-jobs", "50")

	code, m := postJSON(t, base+"/api/v1/jobs", `{"language":"python","source":"print(6*7)","callback_url":"`+recv.URL+`/done"}`)
	if code != http.StatusAccepted || m["id"] == nil {
		t.Fatalf("POST /api/v1/jobs with an allowed callback: %d %v, want 202 and an id", code, m)
	}
	cb := <-got
	res, _ := cb["result"].(map[string]any)
	if cb["method"] != http.MethodPut || cb["id"] != m["id"] || cb["state"] != "done" || res["stdout"] != "42\n" {
		t.Errorf("callback: %v, want a PUT of job %v done with stdout 42", cb, m["id"])
	}
	code, m = postJSON(t, base+"/api/v1/jobs", `{"language":"python","source":"print(1)","callback_url":"http://10.0.0.1/x"}`)
	if code != http.StatusBadRequest || !strings.Contains(asString(m["error"]), "not one this server may call") {
		t.Errorf("POST /api/v1/jobs with a callback to a host not allowed: %d %v, want 400 and why", code, m)
	}
}
