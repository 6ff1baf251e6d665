package fleet

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/sandrun/sandrun/executor"
)

// Jobs that a front end keeps a record of (web's jobs API, docs/jobs.md): Run runs them under
// an id the front end chose (WithJob), the front end stores the stream sequence it is told,
// and any process of the fleet can later Find the job by the two, even after the process that
// submitted it stopped.

// ErrDetached is the cause (context.WithCancelCause) with which a front end that stops lets go
// of a job it submitted without canceling it: Run returns an error wrapping it at once, and
// the job goes on in the fleet, where Find finds it and Result waits for it.
var ErrDetached = errors.New("the submitter let go of the job; it runs on in the fleet")

type jobCtxKey struct{}

type jobCtx struct {
	id     string
	queued func(seq uint64)
}

// WithJob makes Run run its request as job id (as RunJob does) and call queued, when not nil,
// with the job's stream sequence once the stream holds it (before Run waits for the Result).
func WithJob(ctx context.Context, id string, queued func(seq uint64)) context.Context {
	return context.WithValue(ctx, jobCtxKey{}, &jobCtx{id: id, queued: queued})
}

func jobFrom(ctx context.Context) *jobCtx {
	jc, _ := ctx.Value(jobCtxKey{}).(*jobCtx)
	return jc
}

// JobState is where the fleet has a job (Find).
type JobState int

const (
	// JobUnknown: the fleet does not have it: never submitted, canceled, or its Result expired.
	JobUnknown JobState = iota
	// JobPending: waiting in the stream for a worker, or running on one.
	JobPending
	// JobFinished: it ended; Found has its Result or the error it ended with.
	JobFinished
)

// Found is what Find tells of a job.
type Found struct {
	State JobState
	// Result and Err are what RunJob would have returned, when State is JobFinished.
	Result executor.Result
	Err    error
}

// Find tells where job id, published as stream sequence seq (WithJob's queued), is now,
// without waiting. An error (wrapping ErrUnreachable when NATS did not answer) means it could
// not tell.
func (c *Client) Find(ctx context.Context, id string, seq uint64) (Found, error) {
	finished := func() (Found, bool, error) {
		e, err := c.s.results.Get(ctx, id)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return Found{}, false, nil
		}
		if err != nil {
			return Found{}, false, fmt.Errorf("fleet: result of %s: %v: %w", id, err, ErrUnreachable)
		}
		res, rerr := c.decode(ctx, id, e.Value())
		return Found{State: JobFinished, Result: res, Err: rerr}, true, nil
	}
	if f, ok, err := finished(); ok || err != nil {
		return f, err
	}
	if seq > 0 {
		m, err := c.s.stream.GetMsg(ctx, seq)
		switch {
		case err == nil && m.Header.Get(jetstream.MsgIDHeader) == id:
			return Found{State: JobPending}, nil
		case err != nil && !errors.Is(err, jetstream.ErrMsgNotFound):
			return Found{}, fmt.Errorf("fleet: job %s in the stream: %v: %w", id, err, ErrUnreachable)
		}
	}
	// Out of the stream: its worker may have recorded its Result since the first look.
	if f, ok, err := finished(); ok || err != nil {
		return f, err
	}
	return Found{State: JobUnknown}, nil
}

// Cancel cancels job id, published as stream sequence seq, wherever it is: still queued, it
// leaves the stream; running, its worker stops it (and records no Result).
func (c *Client) Cancel(ctx context.Context, id string, seq uint64) error {
	if seq > 0 {
		if err := c.s.stream.DeleteMsg(ctx, seq); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
			return fmt.Errorf("fleet: cancel job %s: %v: %w", id, err, ErrUnreachable)
		}
	}
	if err := c.nc.Publish(subjectCancel+id, nil); err != nil {
		return fmt.Errorf("fleet: cancel job %s: %v: %w", id, err, ErrUnreachable)
	}
	return nil
}
