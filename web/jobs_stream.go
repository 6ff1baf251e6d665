package web

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/executor/fleet"
	"github.com/sandrun/sandrun/executor/hooks"
)

// A WebSocket run started with "job":true (stream.go) is kept as a job too: it is a running job
// of this server while it runs (GET shows it, DELETE kills it), and once it ends GET
// /api/v1/jobs/{id} shows its Result, as for a job of POST /api/v1/jobs. The page asks for it
// when a run's result may be shared, so that a share link names the very run the user watched.

// track registers a run of req that its caller runs itself (a WebSocket run) as a running job
// asked by client, and returns it with the context to run it under: the job's id for the hooks, and
// canceled by DELETE or when the server stops. The caller ends it with st.finishStream. An error
// (too many jobs, the store failed, the server stops) means the run is not kept.
func (st *jobStore) track(ctx context.Context, client string, req executor.Request) (*job, context.Context, error) {
	st.mu.Lock()
	full, stopping := len(st.active) >= st.max, st.stopping
	st.mu.Unlock()
	if full || stopping {
		return nil, nil, fmt.Errorf("%w (the server holds too many jobs, or is stopping)", executor.ErrBusy)
	}
	id := hooks.NewID()
	// Hook: should this server die while the run goes on, the server of the fleet that ends the
	// orphaned job reports it to its post hooks with the request (before the pre hooks, which
	// run inside the run here).
	req.StdinStream = nil
	now := time.Now().UTC()
	j := &job{client: client, done: make(chan struct{}),
		rec: jobRecord{ID: id, State: JobRunning, Owner: st.self, Created: now, Started: now,
			Hook: &hooks.Job{ID: id, Client: client, Request: req}}}
	sctx, cancel := context.WithTimeout(ctx, storeTimeout)
	err := st.back.create(sctx, j.rec)
	cancel()
	if err != nil {
		return nil, nil, err
	}
	runCtx, stop := context.WithCancelCause(hooks.WithID(ctx, id))
	st.mu.Lock()
	if st.stopping {
		st.mu.Unlock()
		j.cancel = stop
		st.finishStream(j, executor.Result{}, context.Canceled) // its record ends with errStopped
		return nil, nil, fmt.Errorf("%w (the server is stopping)", executor.ErrBusy)
	}
	// The store cancels it with a nil cause (DELETE, or the server stopping): errJobCanceled
	// tells that apart from the caller's own end (its client left).
	j.cancel = func(cause error) {
		if cause == nil {
			cause = errJobCanceled
		}
		stop(cause)
	}
	st.active[id] = j
	st.mu.Unlock()
	return j, runCtx, nil
}

// errJobCanceled is the cause of a tracked run's context that the job store canceled.
var errJobCanceled = errors.New("the job was canceled")

// finishStream ends tracked job j, which ran to res or err, and returns its done record once
// stored (jobStore.end, as for any job). Unlike finish it calls no callback (a tracked run has
// none) and tells no post hooks: the run went through the server's hook chain as any WebSocket
// run, which told them. A DELETE, the client's stop or the client gone are all "canceled while
// running": a tracked run is never queued.
func (st *jobStore) finishStream(j *job, res executor.Result, err error) jobRecord {
	if errors.Is(err, fleet.ErrDetached) {
		// Its client watched it here: it ends here, with the sentence, not handed over.
		err = errors.New(err.Error())
	}
	rec, _ := st.end(j, res, err)
	return rec
}
