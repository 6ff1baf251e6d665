package jsonerr

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestExplain(t *testing.T) {
	type req struct {
		Language string   `json:"language"`
		Args     []string `json:"args"`
	}
	tests := []struct {
		in, want string
	}{
		{`{oops}`, "the request is not valid JSON at byte 2"},
		{`{"language": 3}`, "language must be a string, not a number"},
		{`{"args": "x"}`, "args must be an array, not a string"},
		{`[1]`, "the request must be an object, not an array"},
		{`{"language": "py"`, "the request is not valid JSON: it ends too early"},
	}
	for _, tt := range tests {
		var v req
		e := Explain("the request", json.Unmarshal([]byte(tt.in), &v))
		if e == nil || e.Msg != tt.want {
			t.Errorf("Explain(%s) = %v, want %q", tt.in, e, tt.want)
		}
		if e != nil && (strings.Contains(e.Msg, "invalid character") || strings.Contains(e.Msg, "json:")) {
			t.Errorf("Explain(%s) shows Go's text: %q", tt.in, e.Msg)
		}
	}
	if Explain("x", nil) != nil {
		t.Error("Explain(nil) is not nil")
	}
}

// TestExplainIn: the field is named by its JSON path, however deep, with array indexes and
// without the Go names of embedded structs.
func TestExplainIn(t *testing.T) {
	type limits struct {
		CPU int64 `json:"cpu_time_ms"`
	}
	type run struct {
		Language string   `json:"language"`
		Args     []string `json:"args"`
		Limits   *limits  `json:"limits"`
		Cases    []struct {
			Stdin string `json:"stdin"`
		} `json:"cases"`
		Any  any             `json:"any"`
		Raw  json.RawMessage `json:"raw"`
		Meta map[string]int  `json:"meta"`
	}
	type job struct {
		run
		Callback string `json:"callback_url"`
	}
	type batch struct {
		Jobs []job `json:"jobs"`
	}
	tests := []struct {
		in, field, msg string
	}{
		{`{"limits":{"bogus":1}}`, "limits.bogus", `the request has an unknown field "limits.bogus"`},
		{`{"cases":[{"stdin":"1"},{"stdin":"2","bogus":1}]}`, "cases[1].bogus", `the request has an unknown field "cases[1].bogus"`},
		{`{"args":["a",2]}`, "args[1]", "args[1] must be a string, not a number"},
		{`{"limits":{"cpu_time_ms":1.5}}`, "limits.cpu_time_ms", "limits.cpu_time_ms must be an integer, not the number 1.5"},
		{`{"any":{"x":[1]},"raw":[{"y":2}],"meta":{"a":"b"}}`, "meta.a", "meta.a must be an integer, not a string"},
		{`{"jobs":[{"language":"py"},{"language":5}]}`, "jobs[1].language", "jobs[1].language must be a string, not a number"},
		{`{"jobs":[{"LANGUAGE":"py","callback_url":"x","nope":1}]}`, "jobs[0].nope", `the request has an unknown field "jobs[0].nope"`},
	}
	for _, tt := range tests {
		var v batch
		var target any = &v
		if !strings.HasPrefix(tt.in, `{"jobs"`) {
			target = &job{}
		}
		dec := json.NewDecoder(strings.NewReader(tt.in))
		dec.DisallowUnknownFields()
		e := ExplainIn("the request", dec.Decode(target), []byte(tt.in), target, true)
		if e == nil || e.Field != tt.field || e.Msg != tt.msg {
			t.Errorf("ExplainIn(%s) = %+v, want field %q, message %q", tt.in, e, tt.field, tt.msg)
		}
	}
}
