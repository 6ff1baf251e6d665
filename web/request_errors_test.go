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
		{"language":"python","source":"hello"}]}`)
	if w.Code != http.StatusAccepted {
		t.Fatalf("status %d body %s; want 202 with one entry per job", w.Code, w.Body)
	}
	var got struct {
		Jobs []struct{ ID, Error, Field string } `json:"jobs"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || len(got.Jobs) != 5 {
		t.Fatalf("body %s: want 5 entries (%v)", w.Body, err)
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
