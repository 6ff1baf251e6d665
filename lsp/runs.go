package lsp

import (
	"context"
	"strconv"
	"sync"

	"github.com/sandrun/sandrun/executor"
)

// run is one program run in flight.
type run struct {
	id     string
	uri    string
	ctx    context.Context // cancelled with a *cancelError cause when stopped
	cancel context.CancelCauseFunc
	done   chan struct{}       // closed by end
	prev   *run                // the document's run this one stopped; it must end first
	stdin  *executor.StdinFeed // nil unless the run is interactive; closed by end
}

// runs tracks the runs in flight: at most one per document, so a new run of a document stops
// the one before it ("Code is already running!" never happens).
type runs struct {
	wg sync.WaitGroup

	mu      sync.Mutex
	seq     int
	byURI   map[string]*run
	byToken map[string]*run // progress token key → run, for window/workDoneProgress/cancel
	closed  bool
}

func newRuns() *runs { return &runs{byURI: map[string]*run{}, byToken: map[string]*run{}} }

// begin registers a new run of uri whose context derives from parent, stopping the document's
// previous run; stdin, when not nil, feeds an interactive run. Call end when it is over. After
// stopAll(errSessionEnded) runs begin stopped.
func (rs *runs) begin(parent context.Context, uri string, stdin *executor.StdinFeed) *run {
	ctx, cancel := context.WithCancelCause(parent)
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rs.seq++
	r := &run{id: "r" + strconv.Itoa(rs.seq), uri: uri, ctx: ctx, cancel: cancel, done: make(chan struct{}), stdin: stdin}
	if prev := rs.byURI[uri]; prev != nil {
		prev.cancel(errSuperseded)
		r.prev = prev
	}
	rs.byURI[uri] = r
	if rs.closed {
		cancel(errSessionEnded)
	}
	rs.wg.Add(1)
	return r
}

// end unregisters r.
func (rs *runs) end(r *run) {
	rs.mu.Lock()
	if rs.byURI[r.uri] == r {
		delete(rs.byURI, r.uri)
	}
	for k, v := range rs.byToken {
		if v == r {
			delete(rs.byToken, k)
		}
	}
	rs.mu.Unlock()
	r.prev = nil
	r.cancel(nil)
	if r.stdin != nil {
		r.stdin.Close()
	}
	close(r.done)
	rs.wg.Done()
}

// waitPrev waits for the run r stopped to end, so that a document's runs report in order:
// the old run's sandrun/result comes before the new run's sandrun/start.
func (r *run) waitPrev() {
	if r.prev != nil {
		<-r.prev.done
	}
}

// find returns the run in flight with id runID, else (runID empty) the run of uri; nil if none.
func (rs *runs) find(runID, uri string) *run {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if runID == "" {
		return rs.byURI[uri]
	}
	for _, r := range rs.byURI {
		if r.id == runID {
			return r
		}
	}
	return nil
}

// setToken ties a progress token to r.
func (rs *runs) setToken(key string, r *run) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rs.byToken[key] = r
}

// stopToken stops the run a progress token belongs to.
func (rs *runs) stopToken(key string, cause error) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if r := rs.byToken[key]; r != nil {
		r.cancel(cause)
	}
}

// stop stops the run of uri ("" means every run) and returns the ids it stopped.
func (rs *runs) stop(uri string, cause error) []string {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	ids := []string{}
	for u, r := range rs.byURI {
		if uri == "" || u == uri {
			r.cancel(cause)
			ids = append(ids, r.id)
		}
	}
	return ids
}

// stopAll stops every run; with errSessionEnded, later runs begin stopped.
func (rs *runs) stopAll(cause error) {
	rs.stop("", cause)
	if cause == errSessionEnded {
		rs.mu.Lock()
		rs.closed = true
		rs.mu.Unlock()
	}
}

// wait waits for every run to end.
func (rs *runs) wait() { rs.wg.Wait() }
