package main

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/sandrun/sandrun/executor"
)

// paired and interleaved call the fns in turn, each n times, and stop at the first error.
func TestInterleavedOrder(t *testing.T) {
	var calls []string
	fn := func(name string) func() error {
		return func() error { calls = append(calls, name); return nil }
	}
	if _, _, err := paired(3, fn("a"), fn("b")); err != nil {
		t.Fatal(err)
	}
	if want := []string{"a", "b", "a", "b", "a", "b"}; !slices.Equal(calls, want) {
		t.Errorf("paired called %v, want %v", calls, want)
	}
	calls = nil
	meds, err := interleaved(2, fn("a"), fn("b"), fn("c"))
	if err != nil || len(meds) != 3 {
		t.Fatalf("interleaved = %v, %v; want 3 medians", meds, err)
	}
	if want := []string{"a", "b", "c", "a", "b", "c"}; !slices.Equal(calls, want) {
		t.Errorf("interleaved called %v, want %v", calls, want)
	}
	calls = nil
	boom := errors.New("boom")
	if _, _, err := paired(3, fn("a"), func() error { return boom }); !errors.Is(err, boom) {
		t.Errorf("paired err = %v, want boom", err)
	}
	if want := []string{"a"}; !slices.Equal(calls, want) {
		t.Errorf("after an error, paired called %v, want %v", calls, want)
	}
}

// sandrunHTTP posts {"language","source"} and fails on any answer but a 200 with status ok.
func TestSandrunHTTP(t *testing.T) {
	var (
		mu     sync.Mutex // the handler runs on the server's goroutines
		body   string
		status = executor.StatusOK
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		body = string(b)
		_ = json.NewEncoder(w).Encode(executor.Result{Status: status})
	}))
	defer srv.Close()
	run := sandrunHTTP(srv.URL, "python", "pass\n")
	if err := run(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if want := `{"language":"python","source":"pass\n"}`; body != want {
		t.Errorf("posted %s, want %s", body, want)
	}
	status = executor.StatusRuntimeError
	mu.Unlock()
	if err := run(); err == nil || !strings.Contains(err.Error(), string(executor.StatusRuntimeError)) {
		t.Errorf("a failed run: err = %v", err)
	}
}
