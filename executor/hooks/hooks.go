// Package hooks wraps any executor.Executor (local, tcp://, nats://) in a chain of hooks: pre
// hooks see each request before it is queued and may refuse or change it; post hooks see the
// request and its Result after the run ended (to log, count, store, notify) and cannot change
// what the client got. Operators add hooks without Go as programs (Program) and webhooks
// (Webhook); sandrun's own request log and metrics are post hooks too.
//
// It is not a scheduler and knows nothing of transports: the front end that owns the chain names
// the client of each job (Job.Client) through the context (WithClient).
package hooks

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"sync"
	"time"

	"github.com/sandrun/sandrun/executor"
)

// Job is one request as hooks see it.
type Job struct {
	ID      string           `json:"id"`               // unique per run through the chain
	Client  string           `json:"client,omitempty"` // who asked: an address, or "" when unknown
	Request executor.Request `json:"request"`
	// Tags are free-form labels a pre hook may add (e.g. "course": "cs101"); post hooks see them.
	Tags map[string]string `json:"tags,omitempty"`
}

// Done is a finished job as post hooks see it: the Result when Err is nil.
type Done struct {
	Job
	Result  executor.Result `json:"result"`
	Err     error           `json:"-"`
	Elapsed time.Duration   `json:"-"`
	// Canceled is true when the caller's context had ended when the run returned (the client
	// left, or the job was canceled): Err then says how the run stopped, not why.
	Canceled bool `json:"-"`
}

// Pre sees a job before it is queued. It may change job (the request, the tags) and returns
// nil to let it run, or an error to refuse it: an *executor.RefusedError or
// *executor.RequestError carries its sentence to the client; any other error is the machinery
// failing (the run does not happen either).
type Pre func(ctx context.Context, job *Job) error

// Post sees a finished job, on the chain's own goroutine, in the order jobs finished, once each.
// It cannot change the answer, which the client may already have.
type Post func(d Done)

// Chain is an executor.Executor that runs its hooks around Next. Build it with New; the zero
// value is not usable.
type Chain struct {
	next executor.Executor
	pre  []Pre
	post []Post

	done chan Done     // to the post goroutine
	quit chan struct{} // closed by Close
	wg   sync.WaitGroup
	once sync.Once
}

var _ executor.Executor = (*Chain)(nil)

// PostQueue is how many finished jobs may wait for the post hooks; beyond it Run waits (the
// post hooks then slow the runs down instead of losing jobs).
const PostQueue = 1024

// New returns a chain around next with the pre hooks run in order before each job and the post
// hooks in order after it. Close stops it after the queued post hooks ran.
func New(next executor.Executor, pre []Pre, post []Post) *Chain {
	c := &Chain{next: next, pre: pre, post: post, done: make(chan Done, PostQueue), quit: make(chan struct{})}
	c.wg.Add(1)
	go c.posts()
	return c
}

type clientKey struct{}

// WithClient names the client of the jobs run with ctx (e.g. the remote address).
func WithClient(ctx context.Context, client string) context.Context {
	return context.WithValue(ctx, clientKey{}, client)
}

type idKey struct{}

// WithID gives the job run with ctx the id id (e.g. the id a jobs API already answered), for one
// run; without it each job gets a new id. A chain passes its job's id on to the executor it
// wraps, so that nested chains (a front end's own inside an operator's) name a job alike.
func WithID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, idKey{}, id)
}

// NewID returns a random job id (16 hex digits).
func NewID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

type deferredKey struct{}

// Deferred returns ctx marked so that Run of job id (given with WithID) queues nothing for the
// post hooks, in this chain or the chains it wraps: the front end reports the job itself with
// Report once it knows how the job ended for good (a jobs API whose job may be handed over to
// another server, which then reports it).
func Deferred(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, deferredKey{}, id)
}

// deferred reports whether the run of job id with ctx leaves its post hooks to Report.
func deferred(ctx context.Context, id string) bool {
	d, _ := ctx.Value(deferredKey{}).(string)
	return d != "" && d == id
}

// reporter is a Chain, or another executor whose post hooks a front end can report a job to.
type reporter interface {
	Report(d Done)
}

// Report queues d, a job run with Deferred (or one that ended without a run: canceled while it
// waited, or followed to its end on another server's behalf), for the post hooks of the chains
// it wraps and then of this chain: what Run does at the end of a run. Call it once per job.
func (c *Chain) Report(d Done) {
	if r, ok := c.next.(reporter); ok {
		r.Report(d)
	}
	c.queuePost(d)
}

// admitter is a Chain, or another executor that can run its pre hooks ahead of the run.
type admitter interface {
	Admit(ctx context.Context, job Job) (Job, error)
	Admitted(ctx context.Context, job Job) context.Context
}

type admittedKey struct{ c *Chain }

// Admit runs the pre hooks of the chain (and of the chains it wraps) on job now, for a front end
// that queues jobs and runs them later (a jobs API), so that a refusal is answered when the job
// is submitted. It returns the job as the hooks left it; run job.Request later with the context
// Admitted gives, and the pre hooks do not run again. A refused job goes to the post hooks, as
// in Run.
func (c *Chain) Admit(ctx context.Context, job Job) (Job, error) {
	start := time.Now()
	var err error
	for _, h := range c.pre {
		if err = h(ctx, &job); err != nil {
			break
		}
	}
	if a, ok := c.next.(admitter); ok && err == nil {
		job, err = a.Admit(ctx, job)
	}
	if err != nil {
		c.queuePost(Done{Job: job, Err: err, Elapsed: time.Since(start), Canceled: ctx.Err() != nil})
	}
	return job, err
}

// Admitted returns ctx marked so that Run of job (its ID, given with WithID) skips the pre hooks
// Admit ran, and the post hooks see the job as Admit left it (its tags).
func (c *Chain) Admitted(ctx context.Context, job Job) context.Context {
	ctx = context.WithValue(ctx, admittedKey{c}, job)
	if a, ok := c.next.(admitter); ok {
		ctx = a.Admitted(ctx, job)
	}
	return ctx
}

// Run runs the pre hooks, then the request on the executor, then queues the job for the post
// hooks. A refusal by a pre hook is an error wrapping executor.ErrRefused (or the hook's
// *executor.RequestError); the post hooks see refused jobs too.
func (c *Chain) Run(ctx context.Context, req executor.Request, onEvent func(executor.Event)) (executor.Result, error) {
	client, _ := ctx.Value(clientKey{}).(string)
	id, _ := ctx.Value(idKey{}).(string)
	if id == "" {
		id = NewID()
	}
	job := Job{ID: id, Client: client, Request: req}
	start := time.Now()
	var res executor.Result
	var err error
	if a, ok := ctx.Value(admittedKey{c}).(Job); ok && a.ID == id {
		job.Tags = a.Tags // Admit ran the pre hooks; req is the request they left
	} else {
		for _, h := range c.pre {
			if err = h(ctx, &job); err != nil {
				break
			}
		}
	}
	if err == nil {
		// A pre hook may replace the request but not the live input stream, which is the client's.
		job.Request.StdinStream = req.StdinStream
		res, err = c.next.Run(WithID(ctx, job.ID), job.Request, onEvent)
	}
	if !deferred(ctx, job.ID) {
		c.queuePost(Done{Job: job, Result: res, Err: err, Elapsed: time.Since(start), Canceled: ctx.Err() != nil})
	}
	return res, err
}

// queuePost hands d to the post hooks.
func (c *Chain) queuePost(d Done) {
	if len(c.post) == 0 {
		return
	}
	d.Request.StdinStream = nil
	select {
	case c.done <- d:
	case <-c.quit:
	}
}

func (c *Chain) posts() {
	defer c.wg.Done()
	for {
		select {
		case d := <-c.done:
			c.runPosts(d)
		case <-c.quit:
			for {
				select {
				case d := <-c.done:
					c.runPosts(d)
				default:
					return
				}
			}
		}
	}
}

func (c *Chain) runPosts(d Done) {
	for _, h := range c.post {
		h(d)
	}
}

// Languages and Capacity are the wrapped executor's.
func (c *Chain) Languages(ctx context.Context) ([]executor.LanguageInfo, error) {
	return c.next.Languages(ctx)
}

// Capacity is the wrapped executor's.
func (c *Chain) Capacity(ctx context.Context) (executor.Capacity, error) {
	return c.next.Capacity(ctx)
}

// Close runs the post hooks of the jobs already finished and stops the chain. It does not close
// the wrapped executor.
func (c *Chain) Close() error {
	c.once.Do(func() { close(c.quit) })
	c.wg.Wait()
	return nil
}

// Refuse returns the refusal error a pre hook returns with msg.
func Refuse(msg string) error { return &executor.RefusedError{Msg: msg} }

// IsRefused reports whether err is a pre hook's refusal.
func IsRefused(err error) bool { return errors.Is(err, executor.ErrRefused) }
