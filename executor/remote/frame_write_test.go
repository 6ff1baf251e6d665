package remote

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"runtime"
	"strings"
	"testing"

	"go.lsp.dev/jsonrpc2"

	"github.com/sandrun/sandrun/executor"
)

// A Result is written around its encoded form, not marshaled again: what the other side reads
// is the same message, control bytes, quotes and all, with its id; other messages are unchanged.
func TestWriteResponseAroundResult(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	w := newFrameStream(a, frameOptions{})
	r := newFrameStream(b, frameOptions{maxMessage: 1 << 20})
	res := executor.Result{Language: "python", Stdout: "a\x00\x1b\"\\é\n" + strings.Repeat("x", 70000)}
	resp, err := jsonrpc2.NewResponse(jsonrpc2.NewNumberID(7), res, nil)
	if err != nil {
		t.Fatal(err)
	}
	failed, _ := jsonrpc2.NewResponse(jsonrpc2.NewStringID("s"), nil, jsonrpc2.NewError(jsonrpc2.InvalidParams, "no"))
	for _, msg := range []jsonrpc2.Message{resp, failed} {
		go func() { _, _ = w.Write(context.Background(), msg) }()
		got, _, err := r.Read(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		gr, ok := got.(*jsonrpc2.Response)
		want := msg.(*jsonrpc2.Response)
		if !ok || gr.ID() != want.ID() || !bytes.Equal(gr.Result(), want.Result()) || (gr.Err() == nil) != (want.Err() == nil) {
			t.Fatalf("read %#v, want %#v", got, msg)
		}
	}
	var back executor.Result
	if err := json.Unmarshal(resp.Result(), &back); err != nil || back.Stdout != res.Stdout {
		t.Errorf("the result does not decode to what was sent: %v", err)
	}
}

// Writing a Result holds no copy of it beyond the encoded one the library made: an 8 MiB result
// allocates less than two copies of it (marshaling it again cost five).
func TestWriteResponseNoCopy(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	go func() { _, _ = io.Copy(io.Discard, b) }()
	w := newFrameStream(a, frameOptions{})
	resp, err := jsonrpc2.NewResponse(jsonrpc2.NewNumberID(1), executor.Result{Stdout: strings.Repeat("x", 8<<20)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if _, err := w.Write(context.Background(), resp); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if n := after.TotalAlloc - before.TotalAlloc; n > 16<<20 {
		t.Errorf("writing an 8 MiB result allocated %d MiB", n>>20)
	}
}
