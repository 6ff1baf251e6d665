package web

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestErrorFieldPaths: a wrong type or an unknown field is named by its JSON path, however deep
// (Go's decoder names only the key, or its own struct path: "RunRequest.source").
func TestErrorFieldPaths(t *testing.T) {
	s := newTestServer(t, nil, Options{})
	for _, tc := range []struct {
		route, body, field, msg string
	}{
		{"/api/v1/run", `{"language":"python","source":"x","limits":{"bogus":1}}`, "limits.bogus", `unknown field "bogus"`},
		{"/api/v1/run", `{"language":"python","source":"x","cases":[{"stdin":""},{"stdin":"","bogus":1}]}`, "cases[1].bogus", `unknown field "bogus"`},
		{"/api/v1/run", `{"language":"python","source":"x","args":["a",2]}`, "args[1]", "args[1]: must be a string, not a number"},
		{"/api/v1/run", `{"language":"python","files":[{"name":"a.py","content":5}]}`, "files[0].content", "must be a string"},
		{"/api/v1/jobs", `{"language":"python","source":5}`, "source", "source: must be a string, not a number"},
		{"/api/v1/jobs", `{"language":"python","source":"x","limits":{"cpu_time_ms":"2s"}}`, "limits.cpu_time_ms", "must be an integer, not a string"},
		{"/api/v1/jobs", `{"language":"python","source":"x","limits":{"cpu":1}}`, "limits.cpu", `unknown field "cpu"`},
	} {
		w := do(t, s, "POST", tc.route, tc.body)
		var got apiError
		json.Unmarshal(w.Body.Bytes(), &got)
		if w.Code != http.StatusBadRequest || got.Field != tc.field || !strings.Contains(got.Error, tc.msg) || strings.Contains(got.Error, "RunRequest") {
			t.Errorf("POST %s %s: status %d body %s; want 400 naming field %q, saying %q", tc.route, tc.body, w.Code, w.Body, tc.field, tc.msg)
		}
	}
}

// TestJobBatchBadEntries: in a batch, a job with a wrong type or an unknown field is that
// entry's {error, field}, as an unknown language is, and the other jobs are queued.
func TestJobBatchBadEntries(t *testing.T) {
	s := newTestServer(t, nil, Options{})
	w := do(t, s, "POST", "/api/v1/jobs/batch", `{"jobs":[
		{"language":"python","source":"hello"},
		{"language":"klingon","source":"x"},
		{"language":"python","source":5},
		{"language":"python","source":"x","bogus":1},
		{"language":"python","source":"hello"},
		[1]]}`)
	if w.Code != http.StatusAccepted {
		t.Fatalf("status %d body %s; want 202 with one entry per job", w.Code, w.Body)
	}
	var got struct {
		Jobs []struct{ ID, Error, Field string } `json:"jobs"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || len(got.Jobs) != 6 {
		t.Fatalf("body %s: want 6 entries (%v)", w.Body, err)
	}
	if e := got.Jobs[5]; e.ID != "" || e.Error != "the job must be an object, not an array" {
		t.Errorf("entry 5 = %+v; want the sentence saying the job must be an object", e)
	}
	for i, want := range []string{"", "language", "source", "bogus", ""} {
		e := got.Jobs[i]
		switch {
		case want == "" && (e.ID == "" || e.Error != ""):
			t.Errorf("entry %d = %+v; want a queued job", i, e)
		case want != "" && (e.ID != "" || e.Field != want || !strings.HasPrefix(e.Error, want+": ")):
			t.Errorf("entry %d = %+v; want an error naming %q", i, e, want)
		}
	}
}

// TestJudge0FieldErrors: a Judge0 client's wrong field is Judge0's 422 {"field": ["sentence"]},
// a wrong type included; numbers sent as strings are taken as Judge0 (Rails) takes them;
// limits are checked in Judge0's units; in a batch a bad submission is its own entry.
func TestJudge0FieldErrors(t *testing.T) {
	base, ex := judge0Server(t, Options{})
	var sub j0
	if code := doJSON(t, "POST", base+"/judge0/submissions?wait=true", `{"source_code":"hello","language_id":"71","cpu_time_limit":"0.5","memory_limit":"65536","wall_time_limit":""}`, &sub); code != http.StatusCreated || sub.Status.ID != 3 {
		t.Errorf("numbers as strings: %d %+v; want 201 Accepted", code, sub)
	}
	ex.mu.Lock()
	req := ex.reqs[len(ex.reqs)-1]
	ex.mu.Unlock()
	if req.Language != "python" || req.Limits.CPUTimeMs != 500 || req.Limits.MemoryBytes != 64<<20 {
		t.Errorf("request %s, cpu %d ms, memory %d B; want python, 500 ms, 64 MiB", req.Language, req.Limits.CPUTimeMs, req.Limits.MemoryBytes)
	}
	for _, tc := range []struct{ body, field, msg string }{
		{`{"source_code":"hello","language_id":"abc"}`, "language_id", "must be an integer, not a string"},
		{`{"source_code":"hello","language_id":71.5}`, "language_id", "must be an integer, not the number 71.5"},
		{`{"source_code":5,"language_id":71}`, "source_code", "must be a string, not a number"},
		{`{"source_code":"hello","language_id":71,"cpu_time_limit":true}`, "cpu_time_limit", "must be a number, not a bool"},
		{`{"source_code":"hello","language_id":71,"cpu_time_limit":100}`, "cpu_time_limit", "must be less than or equal to 30"},
		{`{"source_code":"hello","language_id":71,"wall_time_limit":-1}`, "wall_time_limit", "must be greater than or equal to 0"},
		{`{"source_code":"hello","language_id":71,"memory_limit":-5}`, "memory_limit", "must be greater than or equal to 4096"},
		{`{"source_code":"hello","language_id":71,"memory_limit":1024}`, "memory_limit", "must be greater than or equal to 4096"},
		{`{"source_code":"hello","language_id":71,"max_processes_and_or_threads":1000}`, "max_processes_and_or_threads", "must be less than or equal to 256"},
	} {
		var e map[string][]string
		code := doJSON(t, "POST", base+"/judge0/submissions?wait=true", tc.body, &e)
		if code != http.StatusUnprocessableEntity || len(e) != 1 || len(e[tc.field]) != 1 || e[tc.field][0] != tc.msg {
			t.Errorf("%s: %d %v; want 422 {%q: [%q]}", tc.body, code, e, tc.field, tc.msg)
		}
	}
	var batch []map[string]any
	code := doJSON(t, "POST", base+"/judge0/submissions/batch", `{"submissions":[{"source_code":"hello","language_id":71},{"source_code":5,"language_id":71},{"source_code":"hello","language_id":"x"}]}`, &batch)
	if code != http.StatusCreated || len(batch) != 3 || batch[0]["token"] == nil || batch[1]["source_code"] == nil || batch[2]["language_id"] == nil {
		t.Errorf("batch with bad entries: %d %v; want 201, a token, then 422 bodies naming source_code and language_id", code, batch)
	}
	if code := doJSON(t, "POST", base+"/judge0/submissions?wait=true", `{"source_code":"compile","language_id":50}`, &sub); code != http.StatusCreated || sub.Status.ID != 6 || !strings.Contains(str(sub.Message), "compile_output") || strings.Contains(str(sub.Message), "compile.stderr") {
		t.Errorf("compile error: %d message %q; want status 6 with a message pointing at compile_output", code, str(sub.Message))
	}
}

// TestJudge0AboutConfigInfo: Judge0 clients that ask the server what it is and what it allows
// (GET /about, GET /config_info) get Judge0's keys with this server's values.
func TestJudge0AboutConfigInfo(t *testing.T) {
	base, _ := judge0Server(t, Options{CallbackAllow: []string{"hooks.example.com"}, MaxJobs: 42})
	var about map[string]any
	if code := doJSON(t, "GET", base+"/judge0/about", "", &about); code != http.StatusOK || about["version"] == nil {
		t.Errorf("GET /judge0/about: %d %v; want 200 with a version", code, about)
	}
	var cfg map[string]any
	if code := doJSON(t, "GET", base+"/judge0/config_info", "", &cfg); code != http.StatusOK {
		t.Fatalf("GET /judge0/config_info: %d %v", code, cfg)
	}
	for key, want := range map[string]any{
		"max_cpu_time_limit": 30.0, "max_wall_time_limit": 60.0, "max_memory_limit": float64(2 << 20),
		"cpu_time_limit": 2.0, "memory_limit": float64(256 << 10), "max_max_processes_and_or_threads": 256.0,
		"enable_callbacks": true, "max_queue_size": 42.0, "max_submission_batch_size": 100.0,
		"enable_network": false, "enable_submission_delete": true, "enable_wait_result": true,
	} {
		if cfg[key] != want {
			t.Errorf("config_info %s = %v, want %v", key, cfg[key], want)
		}
	}
}

// TestJudge0AllLanguages: GET /judge0/languages/all is Judge0's list with is_archived, not the
// language with id "all".
func TestJudge0AllLanguages(t *testing.T) {
	base, _ := judge0Server(t, Options{})
	var all []map[string]any
	if code := doJSON(t, "GET", base+"/judge0/languages/all", "", &all); code != http.StatusOK || len(all) == 0 {
		t.Fatalf("GET /judge0/languages/all: %d %v; want 200 and the list", code, all)
	}
	for _, l := range all {
		if l["id"] == nil || l["name"] == nil || l["is_archived"] != false {
			t.Errorf("entry %v: want id, name and is_archived false", l)
		}
	}
}
