package executor

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	sj "github.com/segmentio/encoding/json"
)

// A case's Result survives both JSON codecs sandrun uses (the TCP executor and the LSP speak
// JSON-RPC through github.com/segmentio/encoding/json), in both directions.
func TestCaseResultJSON(t *testing.T) {
	yes := true
	r := Result{Status: StatusOK, Cases: []CaseResult{{Result: Result{Status: StatusOK, Stdout: "case 1\n"}, Passed: &yes},
		{Result: Result{Status: StatusRuntimeError, Stderr: "boom", ExitCode: 1}}}}
	codecs := map[string]struct {
		marshal   func(any) ([]byte, error)
		unmarshal func([]byte, any) error
	}{"encoding/json": {json.Marshal, json.Unmarshal}, "segmentio": {sj.Marshal, sj.Unmarshal}}
	for wname, w := range codecs {
		for rname, rd := range codecs {
			b, err := w.marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			var back Result
			if err := rd.unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(r, back); diff != "" {
				t.Errorf("written by %s, read by %s (-want +got):\n%s\n%s", wname, rname, diff, b)
			}
		}
	}
}
