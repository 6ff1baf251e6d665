package fleet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sandrun/sandrun/executor"
)

var jsonUnmarshal = json.Unmarshal

// RunJob runs req as job id on the fleet. Output arrives through onEvent in order; when a
// worker died and another started the job again, an Event with Restart set comes first and
// the output before it belongs to the abandoned attempt. A repeated RunJob with the same id
// within DedupeWindow does not run the job again: it waits for the first one's Result.
// Canceling ctx cancels the job wherever it is (queued or running), unless its cause is
// ErrDetached. The job waits in the
// stream while every worker is busy; only a full stream answers executor.ErrBusy.
func (c *Client) RunJob(ctx context.Context, id string, req executor.Request, onEvent func(executor.Event)) (executor.Result, error) {
	if id == "" || len(id) > 64 || sanitize(id) != id {
		return executor.Result{}, executor.Invalid("id", "job id %q: use 1 to 64 letters, digits, '-' and '_'", id)
	}
	lang, rt, err := c.resolve(req.Language, req.Runtime)
	if err != nil {
		return executor.Result{}, err
	}
	stdin := req.StdinStream
	req.Language, req.Runtime = lang, rt
	j := job{ID: id, Request: req, Interactive: stdin != nil}
	data := marshal(j)
	if int64(len(data)) > c.nc.MaxPayload()-1024 {
		return executor.Result{}, executor.Invalid("files", "the request is %d bytes; the fleet's NATS servers take messages up to %d bytes (max_payload)", len(data), c.nc.MaxPayload())
	}

	in := newInbox()
	sub, err := c.nc.Subscribe(subjectOut+id, in.put)
	if err != nil {
		return executor.Result{}, fmt.Errorf("fleet: %v: %w", err, ErrUnreachable)
	}
	defer func() { _ = sub.Unsubscribe() }()
	seq, err := c.publish(ctx, jobSubject(lang, rt), id, data)
	if err != nil {
		return executor.Result{}, err
	}
	if jc := jobFrom(ctx); jc != nil && jc.id == id && jc.queued != nil {
		jc.queued(seq)
	}

	var feed *stdinFeed
	if stdin != nil {
		feed = newStdinFeed(stdin)
	}
	attempt := 0
	poll := time.NewTicker(500 * time.Millisecond)
	defer poll.Stop()
	var lostSince, orphanSince time.Time
	lastCheck := time.Now()
	for {
		var feedCh <-chan struct{}
		if feed != nil {
			feedCh = feed.changed
		}
		select {
		case <-ctx.Done():
			if errors.Is(context.Cause(ctx), ErrDetached) {
				return executor.Result{}, fmt.Errorf("fleet: job %s: %w", id, ErrDetached)
			}
			dctx, cancel := context.WithTimeout(context.Background(), time.Second)
			_ = c.s.stream.DeleteMsg(dctx, seq) // still queued: gone; running: the worker stops it
			cancel()
			if attempt > 0 {
				// Wait (briefly) for the worker to say the run is dead and its slot free.
				_, _ = c.nc.Request(subjectCancel+id, nil, 2*time.Second)
			} else {
				_ = c.nc.Publish(subjectCancel+id, nil)
			}
			return executor.Result{}, ctx.Err()
		case <-feedCh:
			if attempt > 0 {
				feed.flush(c.nc, id, attempt)
			}
		case <-in.ready:
			for _, m := range in.take() {
				a, _ := strconv.Atoi(m.Header.Get(headerAttempt))
				kind := m.Header.Get(headerKind)
				if kind == kindResult {
					return c.decode(ctx, id, m.Data)
				}
				if a < attempt {
					continue // output of an abandoned attempt arriving late
				}
				if a > attempt {
					if attempt > 0 && onEvent != nil {
						onEvent(executor.Event{Stage: executor.StageRun, Stream: executor.Stderr, Restart: a})
					}
					attempt = a
					if feed != nil {
						feed.restart()
						feed.flush(c.nc, id, attempt)
					}
				}
				if kind == kindEvent && onEvent != nil {
					onEvent(executor.Event{
						Stage:  executor.Stage(m.Header.Get(headerStage)),
						Stream: executor.Stream(m.Header.Get(headerStream)),
						Data:   m.Data,
					})
				}
			}
		case <-poll.C:
			if c.nc.Status() == nats.CLOSED {
				return executor.Result{}, fmt.Errorf("fleet: the connection to NATS is closed; job %s may still finish (its Result is kept for %s): %w", id, ResultTTL, ErrUnreachable)
			}
			if c.nc.Status() != nats.CONNECTED {
				if lostSince.IsZero() {
					lostSince = time.Now()
				} else if time.Since(lostSince) > c.opts.LostAfter {
					return executor.Result{}, fmt.Errorf("fleet: lost the connection to NATS for %s; job %s may still finish (its Result is kept for %s): %w", c.opts.LostAfter, id, ResultTTL, ErrUnreachable)
				}
				continue
			}
			lostSince = time.Time{}
			// A queued job whose runtime no live worker has any more would wait forever.
			if attempt == 0 && !c.has(lang, rt) {
				if orphanSince.IsZero() {
					orphanSince = time.Now()
				} else if time.Since(orphanSince) > liveWithin {
					dctx, cancel := context.WithTimeout(context.Background(), time.Second)
					err := c.s.stream.DeleteMsg(dctx, seq)
					cancel()
					if err == nil {
						return executor.Result{}, fmt.Errorf("fleet: job %s: no executor in the fleet has %s (%s) any more (the workers that had it left); try again when one joins: %w", id, lang, rt, executor.ErrBusy)
					}
				}
			} else {
				orphanSince = time.Time{}
			}
			// A Result message can be lost with a reconnect; the bucket has it.
			if time.Since(lastCheck) > 3*time.Second {
				lastCheck = time.Now()
				gctx, cancel := context.WithTimeout(ctx, 2*time.Second)
				e, err := c.s.results.Get(gctx, id)
				cancel()
				if err == nil {
					return c.decode(ctx, id, e.Value())
				}
			}
		}
	}
}

// publish submits the job, retrying a lost answer with the same id (the stream drops the
// repeat), and returns its stream sequence.
func (c *Client) publish(ctx context.Context, subject, id string, data []byte) (uint64, error) {
	var last error
	for try := 0; try < 3; try++ {
		pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		ack, err := c.s.js.Publish(pctx, subject, data, jetstream.WithMsgID(id), jetstream.WithExpectStream(StreamName))
		cancel()
		if err == nil {
			return ack.Sequence, nil
		}
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		if strings.Contains(err.Error(), "maximum messages exceeded") || strings.Contains(err.Error(), "maximum bytes exceeded") {
			return 0, fmt.Errorf("the fleet's queue is full (every worker busy and the stream's %s bound reached); try again shortly: %w", "max_msgs", executor.ErrBusy)
		}
		last = err
		if c.nc.Status() == nats.CLOSED {
			break
		}
		sleep(ctx, 200*time.Millisecond)
	}
	return 0, fmt.Errorf("fleet: submit job %s: %v: %w", id, last, ErrUnreachable)
}

// decode turns a recorded outcome into Run's answer.
func (c *Client) decode(ctx context.Context, id string, data []byte) (executor.Result, error) {
	var o outcome
	if err := json.Unmarshal(data, &o); err != nil {
		return executor.Result{}, fmt.Errorf("fleet: job %s: bad outcome: %w", id, err)
	}
	if o.Error != nil {
		return executor.Result{}, o.Error.err()
	}
	if o.Blob {
		b, err := c.s.blobs.GetBytes(ctx, id)
		if err != nil {
			return executor.Result{}, fmt.Errorf("fleet: job %s: result: %w", id, err)
		}
		var r executor.Result
		if err := json.Unmarshal(b, &r); err != nil {
			return executor.Result{}, fmt.Errorf("fleet: job %s: bad result: %w", id, err)
		}
		return r, nil
	}
	if o.Result == nil {
		return executor.Result{}, fmt.Errorf("fleet: job %s: empty outcome", id)
	}
	return *o.Result, nil
}

// ErrNoResult is returned by Result when the fleet has no Result for the job id (never
// submitted, not finished before ctx ended, or expired).
var ErrNoResult = errors.New("no result for this job")

// Result returns job id's Result, waiting for it until ctx ends: a client that lost its
// connection gets the Result of a job it submitted with RunJob.
func (c *Client) Result(ctx context.Context, id string) (executor.Result, error) {
	w, err := c.s.results.Watch(ctx, id)
	if err != nil {
		return executor.Result{}, fmt.Errorf("fleet: result of %s: %w", id, err)
	}
	defer func() { _ = w.Stop() }()
	for {
		select {
		case <-ctx.Done():
			return executor.Result{}, fmt.Errorf("fleet: job %s: %w (%v)", id, ErrNoResult, ctx.Err())
		case e, ok := <-w.Updates():
			if !ok {
				return executor.Result{}, fmt.Errorf("fleet: job %s: %w", id, ErrNoResult)
			}
			if e != nil && e.Operation() == jetstream.KeyValuePut {
				return c.decode(ctx, id, e.Value())
			}
		}
	}
}

// inbox queues a job's out messages in arrival order, without bound or drop.
type inbox struct {
	mu    sync.Mutex
	msgs  []*nats.Msg
	ready chan struct{}
}

func newInbox() *inbox { return &inbox{ready: make(chan struct{}, 1)} }

func (b *inbox) put(m *nats.Msg) {
	b.mu.Lock()
	b.msgs = append(b.msgs, m)
	b.mu.Unlock()
	select {
	case b.ready <- struct{}{}:
	default:
	}
}

func (b *inbox) take() []*nats.Msg {
	b.mu.Lock()
	defer b.mu.Unlock()
	m := b.msgs
	b.msgs = nil
	return m
}

// stdinFeed reads a request's StdinStream and keeps what it read, so that a job started again
// on another worker gets all of it from the start.
type stdinFeed struct {
	changed chan struct{}

	mu   sync.Mutex
	buf  []byte
	eof  bool
	sent int
	done bool // EOF sent for the current attempt
}

func newStdinFeed(r io.Reader) *stdinFeed {
	f := &stdinFeed{changed: make(chan struct{}, 1)}
	go func() {
		p := make([]byte, chunk)
		for {
			n, err := r.Read(p)
			f.mu.Lock()
			f.buf = append(f.buf, p[:n]...)
			if err != nil {
				f.eof = true
			}
			f.mu.Unlock()
			select {
			case f.changed <- struct{}{}:
			default:
			}
			if err != nil {
				return
			}
		}
	}()
	return f
}

func (f *stdinFeed) restart() {
	f.mu.Lock()
	f.sent, f.done = 0, false
	f.mu.Unlock()
}

// flush sends what the worker of attempt has not had yet.
func (f *stdinFeed) flush(nc *nats.Conn, id string, attempt int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	subj := subjectIn + id + "." + strconv.Itoa(attempt)
	for f.sent < len(f.buf) {
		n := min(len(f.buf)-f.sent, chunk)
		_ = nc.Publish(subj, f.buf[f.sent:f.sent+n])
		f.sent += n
	}
	if f.eof && !f.done {
		m := nats.NewMsg(subj)
		m.Header.Set(headerEOF, "1")
		_ = nc.PublishMsg(m)
		f.done = true
	}
}
