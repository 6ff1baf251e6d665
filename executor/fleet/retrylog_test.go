package fleet

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestRetryLog: a worker waiting for NATS says so once, in one sentence, not once per attempt
// with the attempt's raw error; a new state is said once too.
func TestRetryLog(t *testing.T) {
	r := retryLog{url: redactURL("nats://user:secret@127.0.0.1:1"), every: time.Second}
	var lines []string
	for range 5 {
		if l := r.failed(false, context.DeadlineExceeded); l != "" {
			lines = append(lines, l)
		}
	}
	for range 3 {
		if l := r.failed(true, errors.New("job stream: no responders")); l != "" {
			lines = append(lines, l)
		}
	}
	want := []string{
		"cannot reach NATS at nats://127.0.0.1:1; retrying every 1s",
		"NATS at nats://127.0.0.1:1 is reached but not ready (job stream: no responders); retrying every 1s",
	}
	if len(lines) != len(want) || lines[0] != want[0] || lines[1] != want[1] {
		t.Errorf("logged %q, want %q", lines, want)
	}
}
