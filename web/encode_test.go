package web

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/sandrun/sandrun/executor"
)

// TestEncodeStreamingMatchesMarshal: the streamed answer is byte for byte what json.Marshal
// would have built, whatever the output holds, and the value is left as it was.
func TestEncodeStreamingMatchesMarshal(t *testing.T) {
	big := strings.Repeat("é\x01<>&\u2028\"\\ line\n", 20<<10) // multi-chunk, characters across chunk edges
	res := executor.Result{
		Language: "python", Status: executor.StatusOK, Stdout: big, Stderr: "small",
		Message: "\x00not-a-placeholder:0",
		Compile: &executor.Result{Stdout: strings.Repeat("x", 40<<10)},
		Cases:   []executor.CaseResult{{Result: executor.Result{Stdout: big[1:]}}, {Result: executor.Result{Stderr: big}}},
	}
	want, err := json.Marshal(&res)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := encodeStreaming(&buf, &res, resultStrings(&res)); err != nil {
		t.Fatal(err)
	}
	if got := bytes.TrimSuffix(buf.Bytes(), []byte("\n")); !bytes.Equal(got, want) {
		t.Errorf("streamed %d bytes differ from json.Marshal's %d", len(got), len(want))
	}
	if res.Stdout != big || res.Cases[1].Stderr != big {
		t.Error("the value was not restored")
	}
	// The same string twice (Piston's run repeating its compile stage) is fine.
	st := &pistonStage{Stdout: big, Output: big}
	ans := pistonResponse{Run: st, Compile: st}
	want, _ = json.Marshal(ans)
	buf.Reset()
	encodeStreaming(&buf, ans, []*string{&st.Stdout, &st.Output, &st.Stdout, &st.Output})
	if got := bytes.TrimSuffix(buf.Bytes(), []byte("\n")); !bytes.Equal(got, want) {
		t.Error("a shared stage streamed differently from json.Marshal")
	}
}
