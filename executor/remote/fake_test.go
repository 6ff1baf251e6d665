package remote

import (
	"strings"
	"testing"
	"time"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/executor/executortest"
)

// newFake is the shared scriptable fake (executortest.Fake, see its script commands) with the
// one language "fake", and slots+queue runs at once before ErrBusy.
func newFake(slots, queue int) *executortest.Fake {
	f := executortest.NewFake()
	f.Slots, f.Queue = slots, queue
	f.Langs = []executor.LanguageInfo{{ID: "fake", Name: "Fake", Version: "1.0", Aliases: []string{"fk"}, Extensions: []string{".fake"}, Available: true}}
	return f
}

// waitFor polls cond until it holds or 2 minutes pass: a bound for hangs only, since on a
// loaded machine filling a socket's buffers with output (TestClientThatDoesNotRead) took
// longer than 10s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// script makes a fake request.
func script(lines ...string) executor.Request {
	return executor.Request{Language: "fake", Files: []executor.File{{Name: "main.fake", Content: []byte(strings.Join(lines, "\n"))}}}
}
