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
