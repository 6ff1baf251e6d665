package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/executor/fleet"
	"github.com/sandrun/sandrun/executor/hooks"
)

// Asynchronous jobs (docs/jobs.md): POST /api/v1/jobs answers 202 {id} at once, the run waits in
// this server's queue, GET /api/v1/jobs/{id} tells its state and, when done, its Result; DELETE
// cancels it. On one machine jobs live in memory for Options.JobTTL after they end: a restart
// forgets them. When the server fronts a NATS fleet they live in the fleet's key-value store
// (jobs_kv.go): they outlive a restart, and every server of the fleet answers for them.
// Judge0's /submissions (judge0.go) are jobs too.

// JobState is where a job is.
type JobState string

// Job states.
const (
	JobQueued  JobState = "queued"
	JobRunning JobState = "running"
	JobDone    JobState = "done"
)

// Defaults for the jobs of Options.
const (
	DefaultJobTTL  = time.Hour
	DefaultMaxJobs = 10000
)

// JobView is a job as GET /api/v1/jobs/{id} shows it. Error is set when a done job got no
// Result (refused by a hook, canceled, the executor failed, the server stopped): the sentence
// the run would have got.
type JobView struct {
	ID       string           `json:"id"`
	State    JobState         `json:"state"`
	Result   *executor.Result `json:"result,omitempty"`
	Error    string           `json:"error,omitempty"`
	Created  time.Time        `json:"created"`
	Finished *time.Time       `json:"finished,omitempty"`
}

// jobRecord is a job as a store keeps it: what GET shows, who runs it, and what a Judge0 view
// needs besides. Records are values: a store hands out copies.
type jobRecord struct {
	ID       string           `json:"id"`
	State    JobState         `json:"state"`
	Owner    string           `json:"owner,omitempty"` // the server (an instance id) that runs it
	Created  time.Time        `json:"created"`
	Finished time.Time        `json:"finished,omitzero"`
	Result   *executor.Result `json:"result,omitempty"`
	Error    string           `json:"error,omitempty"`
	Refused  bool             `json:"refused,omitempty"` // Error is an operator's pre hook's refusal
	Judge0   *judge0Job       `json:"judge0,omitempty"`  // a Judge0 submission's own fields
	// Set by the fleet's store when the Judge0 fields or the Result were too large for one
	// entry and live in its blob store (jobs_kv.go).
	Judge0Blob bool `json:"judge0_blob,omitempty"`
	ResultBlob bool `json:"result_blob,omitempty"`
	// Seq is the job's sequence in the fleet's stream, once the stream holds it (it runs there
	// under the id fleetJobID(ID)): a server that finds the job orphaned asks the fleet about it
	// by the two (jobs_kv.go).
	Seq uint64 `json:"seq,omitempty"`
	// Callback is the job's callback_url: the server that ends the job calls it.
	Callback string `json:"callback,omitempty"`
	// Hook is the job as the pre hooks left it (hooks.Chain.Admit), kept while the job is
	// unfinished in the fleet's store: the server that ends the job, which may not be the one
	// that took it, gives it to the post hooks (jobStore.report). HookBlob: it lives in the
	// blob store (too large for one entry).
	Hook     *hooks.Job `json:"hook,omitempty"`
	HookBlob bool       `json:"hook_blob,omitempty"`
	// Started is when a server began to run the job (for the post hooks' Elapsed).
	Started time.Time `json:"started,omitzero"`
}

// view is the record as its client sees it.
func (r jobRecord) view() JobView {
	v := JobView{ID: r.ID, State: r.State, Result: r.Result, Error: r.Error, Created: r.Created}
	if r.State == JobDone {
		f := r.Finished
		v.Finished = &f
	}
	return v
}

// refusal is the error of a done job that an operator's pre hook refused, or nil.
func (r jobRecord) refusal() error {
	if r.State == JobDone && r.Refused {
		return &executor.RefusedError{Msg: r.Error}
	}
	return nil
}

// jobBackend keeps the records of jobs: in this process's memory (memJobs), or in the NATS
// fleet's key-value store when the server fronts a fleet (kvJobs, jobs_kv.go), where they
// outlive a restart and every server of the fleet sees them.
type jobBackend interface {
	// create stores a new job's record; an error wrapping executor.ErrBusy when full.
	create(ctx context.Context, rec jobRecord) error
	// update stores a job's new state.
	update(ctx context.Context, rec jobRecord) error
	// get returns the record of id; false when there is none (never was, or expired).
	get(ctx context.Context, id string) (jobRecord, bool, error)
	// cancelElsewhere asks the server that runs job id (another server of the fleet) to
	// cancel it, or returns errElsewhere when it cannot.
	cancelElsewhere(ctx context.Context, id string) error
	// finish stores a done job's record and reports whether this server ended it: false when
	// another server of the fleet ended it or took it over first (then it sends no callback).
	finish(ctx context.Context, rec jobRecord) (bool, error)
	// close lets go of the store (the records stay where they live).
	close()
}

// errStopped is the sentence of a job whose server stopped before it ended.
const errStopped = "the server stopped while this job was queued or running; submit it again"

// The errors of a job canceled (DELETE) while it waited, and while it ran.
const (
	errCanceledQueued  = "the job was canceled before it ran"
	errCanceledRunning = "the job was canceled while it ran; its program was killed"
)

// job is a queued or running job of this server.
type job struct {
	client   string // who submitted it (the peer address), for the hooks
	req      executor.Request
	admitted hooks.Job     // as the pre hooks left it at submission (hooks.Chain.Admit)
	done     chan struct{} // closed when the job is done

	// guarded by jobStore.mu
	rec    jobRecord
	cancel context.CancelCauseFunc
}

// jobStore runs this server's jobs with a fixed number of workers, so that a burst waits here
// (queued) instead of being refused by the executor, and keeps their records in its backend.
type jobStore struct {
	s       *Server
	back    jobBackend
	self    string    // this server's instance id, the Owner of the jobs it runs
	find    jobFinder // the fleet, when it runs the jobs and keeps their records (jobs_kv.go)
	max     int
	workers int

	mu       sync.Mutex
	active   map[string]*job // queued and running
	queue    []*job
	stopping bool
	wake     chan struct{}

	startOnce sync.Once
	closeOnce sync.Once
	quit      chan struct{}
	wg        sync.WaitGroup
}

func newJobStore(s *Server, back jobBackend, self string, max int) *jobStore {
	return &jobStore{s: s, back: back, self: self, max: max, active: map[string]*job{}, wake: make(chan struct{}, 1), quit: make(chan struct{})}
}

// start launches the workers on the first job: as many as the executor runs at once (at least 2).
func (st *jobStore) start() {
	st.startOnce.Do(func() {
		n := 2
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if c, err := st.s.exec.Capacity(ctx); err == nil && c.Slots > n {
			n = c.Slots
		}
		cancel()
		st.workers = n
		for range n {
			st.wg.Add(1)
			go st.work()
		}
	})
}

// judge0Job is what a Judge0 submission adds to its job: what GET /submissions/{token} shows
// of the request, the expected output (compared when done) and the language_id.
type judge0Job struct {
	Source     []byte  `json:"source,omitempty"`
	Stdin      []byte  `json:"stdin,omitempty"`
	Expected   *string `json:"expected,omitempty"`
	LanguageID int     `json:"language_id"`
	Base64     bool    `json:"base64,omitempty"` // its callback is sent base64-encoded
}

// storeTimeout bounds one call to the backend.
const storeTimeout = 10 * time.Second

// submit queues req, asked by client, as a new job and returns its record, or an error when
// a pre hook refused it (the hooks run now, so that the client hears it at once), the server
// holds too many jobs, or the store failed.
func (st *jobStore) submit(ctx context.Context, client string, req executor.Request, callback string, j0 *judge0Job) (jobRecord, error) {
	st.start()
	st.mu.Lock()
	full := len(st.active) >= st.max
	st.mu.Unlock()
	if full {
		return jobRecord{}, fmt.Errorf("%w (the server runs at most %d jobs at once; try again when some have ended)", executor.ErrBusy, st.max)
	}
	id := hooks.NewID()
	admitted, err := st.s.chain.Admit(hooks.WithClient(ctx, client), hooks.Job{ID: id, Client: client, Request: req})
	if err != nil {
		return jobRecord{}, err
	}
	admitted.Request.StdinStream = nil
	hj := admitted
	j := &job{client: client, req: admitted.Request, admitted: admitted, done: make(chan struct{}),
		rec: jobRecord{ID: id, State: JobQueued, Owner: st.self, Created: time.Now().UTC(), Judge0: j0, Callback: callback, Hook: &hj}}
	ctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	if err := st.back.create(ctx, j.rec); err != nil {
		return jobRecord{}, err
	}
	st.mu.Lock()
	if st.stopping {
		st.mu.Unlock()
		st.save(jobRecord{ID: j.rec.ID, State: JobDone, Owner: st.self, Created: j.rec.Created, Finished: time.Now().UTC(), Error: errStopped, Judge0: j0, Callback: callback})
		return jobRecord{}, fmt.Errorf("%w (the server is stopping)", executor.ErrBusy)
	}
	st.active[j.rec.ID] = j
	st.queue = append(st.queue, j)
	rec := j.rec
	st.mu.Unlock()
	select {
	case st.wake <- struct{}{}:
	default:
	}
	return rec, nil
}

// save writes rec to the backend, logging a failure (the job's client then sees its last state).
func (st *jobStore) save(rec jobRecord) {
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	if err := st.back.update(ctx, rec); err != nil {
		st.s.log.Error("job store", "job", rec.ID, "state", rec.State, "err", err)
	}
}

func (st *jobStore) work() {
	defer st.wg.Done()
	for {
		st.mu.Lock()
		var j *job
		if len(st.queue) > 0 && !st.stopping {
			j, st.queue = st.queue[0], st.queue[1:]
		}
		var ctx context.Context
		var rec jobRecord
		if j != nil {
			ctx, j.cancel = context.WithCancelCause(context.Background())
			j.rec.State, j.rec.Started = JobRunning, time.Now().UTC()
			rec = j.rec
		}
		st.mu.Unlock()
		if j == nil {
			select {
			case <-st.wake:
				continue
			case <-st.quit:
				return
			}
		}
		// More may wait: let another worker look too.
		select {
		case st.wake <- struct{}{}:
		default:
		}
		st.save(rec)
		if st.find != nil {
			// Run it in the fleet under an id of the job's, and note where the stream holds it:
			// should this server stop first, another one finds it there (jobs_kv.go).
			ctx = fleet.WithJob(ctx, fleetJobID(rec.ID), func(seq uint64) {
				st.mu.Lock()
				j.rec.Seq = seq
				rec := j.rec
				st.mu.Unlock()
				st.save(rec)
			})
		}
		// The post hooks hear of the job from finish, and only when this server records its end:
		// a job it lets go of when it stops is reported by the server that takes it over.
		ctx = hooks.Deferred(ctx, rec.ID)
		ctx = st.s.chain.Admitted(hooks.WithID(hooks.WithClient(ctx, j.client), rec.ID), j.admitted)
		res, err := st.s.run(ctx, j.req, nil)
		st.finish(j, res, err)
	}
}

func (st *jobStore) finish(j *job, res executor.Result, err error) {
	rec, claimed := st.end(j, res, err)
	if claimed {
		st.notify(rec)
		if errors.Is(err, context.Canceled) { // the sentence, and still a cancellation
			err = fmt.Errorf("%s: %w", rec.Error, context.Canceled)
		}
		st.report(j.admitted, rec, err)
	}
}

// end records how job j ended (res, or err as a sentence), stores its done record, and lets it
// go from the active jobs; it returns the record and whether this server's store write ended
// the job (claimed: in a fleet, one server's does). A job detached from a stopping server stays
// running in the store.
func (st *jobStore) end(j *job, res executor.Result, err error) (jobRecord, bool) {
	st.mu.Lock()
	if j.cancel != nil {
		j.cancel(nil)
	}
	detached := false
	switch {
	case err == nil:
		j.rec.Result = &res
	case errors.Is(err, fleet.ErrDetached):
		detached = true
	case st.stopping && errors.Is(err, context.Canceled):
		j.rec.Error = errStopped
	case errors.Is(err, context.Canceled): // a DELETE: a sentence, not Go's "context canceled"
		j.rec.Error = errCanceledRunning
		if j.rec.State == JobQueued {
			j.rec.Error = errCanceledQueued
		}
	default:
		j.rec.Error = err.Error()
		j.rec.Refused = errors.Is(err, executor.ErrRefused)
	}
	if !detached {
		j.rec.State, j.rec.Finished = JobDone, time.Now().UTC()
	}
	rec := j.rec
	st.mu.Unlock()
	// The record is stored before the job leaves the active ones, so that a GET between the two
	// finds it done either way. A detached job stays running in the store: the fleet runs it on,
	// and the next server that reads it takes it over (jobs_kv.go).
	claimed := false
	if !detached {
		ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
		var err error
		claimed, err = st.back.finish(ctx, rec)
		cancel()
		if err != nil {
			st.s.log.Error("job store", "job", rec.ID, "state", rec.State, "err", err)
		}
	}
	st.mu.Lock()
	delete(st.active, rec.ID)
	st.mu.Unlock()
	close(j.done)
	return rec, claimed
}

// report hands job rec, which this server ended (it wrote the job's done record, which one
// server of a fleet does: kvJobs.finish and kvJobs.get compare and set), to the post hooks of
// the server's chain and of the operator's chain inside it, with the job as the pre hooks left
// it (hj, or the record's copy when hj is empty: a job taken over) and err when the job got no
// Result. So a job handed over by a server that stops is reported once, with its real end, by
// the server that ends it, and never as canceled by the one that let go of it.
func (st *jobStore) report(hj hooks.Job, rec jobRecord, err error) {
	if hj.ID == "" && rec.Hook != nil {
		hj = *rec.Hook
	}
	hj.ID = rec.ID
	d := hooks.Done{Job: hj, Err: err, Canceled: errors.Is(err, context.Canceled)}
	switch {
	case rec.Result != nil:
		d.Result, d.Err = *rec.Result, nil
	case d.Err == nil:
		d.Err = errors.New(rec.Error)
	}
	start := rec.Started
	if start.IsZero() {
		start = rec.Created
	}
	if !start.IsZero() {
		d.Elapsed = time.Since(start)
	}
	st.s.chain.Report(d)
}

// ended tells of job rec, which this server ended as an orphan without running or following
// it (jobs_kv.go): its callback and its post hooks.
func (st *jobStore) ended(rec jobRecord) {
	st.notify(rec)
	st.report(hooks.Job{}, rec, nil)
}

// notify calls the callback_url of done job rec, if it has one, on a goroutine of its own:
// the JobView, or for a Judge0 submission what GET /submissions/{token} shows.
func (st *jobStore) notify(rec jobRecord) {
	if rec.Callback == "" {
		return
	}
	body := any(rec.view())
	if rec.Judge0 != nil {
		body = st.s.judge0View(rec.Judge0.Base64, rec, "")
	}
	go st.s.callback(rec.Callback, body)
}

// adopt follows job rec, which this server took over from a server that is gone while the
// fleet still runs it, to its end (jobs_kv.go).
func (st *jobStore) adopt(rec jobRecord) {
	ctx, cancel := context.WithCancelCause(context.Background())
	j := &job{rec: rec, done: make(chan struct{}), cancel: cancel}
	if rec.Hook != nil {
		j.admitted, j.client = *rec.Hook, rec.Hook.Client
	}
	st.mu.Lock()
	if st.stopping || st.active[rec.ID] != nil {
		st.mu.Unlock()
		cancel(nil) // stopping: the next server takes it over in turn
		return
	}
	st.active[rec.ID] = j
	st.wg.Add(1)
	st.mu.Unlock()
	st.s.log.Info("job taken over from a server that is gone", "job", rec.ID)
	go func() {
		defer st.wg.Done()
		res, err := st.follow(ctx, rec)
		st.finish(j, res, err)
	}()
}

// follow asks the fleet about job rec every followPoll until it ends there or ctx ends: a
// cancel (DELETE) cancels it in the fleet, a stop (cause fleet.ErrDetached) lets go of it.
func (st *jobStore) follow(ctx context.Context, rec jobRecord) (executor.Result, error) {
	id := fleetJobID(rec.ID)
	t := time.NewTicker(followPoll)
	defer t.Stop()
	for {
		fctx, cancel := context.WithTimeout(ctx, storeTimeout)
		f, err := st.find.Find(fctx, id, rec.Seq)
		cancel()
		switch {
		case err != nil: // NATS did not answer: ask again
		case f.State == fleet.JobFinished:
			return f.Result, f.Err
		case f.State == fleet.JobUnknown:
			return executor.Result{}, errors.New(errServerGone)
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			if cause := context.Cause(ctx); errors.Is(cause, fleet.ErrDetached) {
				return executor.Result{}, cause
			}
			cctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
			err := st.find.Cancel(cctx, id, rec.Seq)
			cancel()
			if err != nil {
				st.s.log.Warn("job store: cancel in the fleet", "job", rec.ID, "err", err)
			}
			return executor.Result{}, fmt.Errorf("the job was canceled: %w", context.Canceled)
		}
	}
}

// get returns the record of job id, and false when there is no such job.
func (st *jobStore) get(ctx context.Context, id string) (jobRecord, bool, error) {
	st.mu.Lock()
	j := st.active[id]
	var rec jobRecord
	if j != nil {
		rec = j.rec
	}
	st.mu.Unlock()
	if j != nil {
		return rec, true, nil
	}
	ctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	return st.back.get(ctx, id)
}

// jobPoll is how often wait reads the record of a job another server runs.
const jobPoll = 250 * time.Millisecond

// wait returns job id's record once it is done, ctx ended, or d passed.
func (st *jobStore) wait(ctx context.Context, id string, d time.Duration) (jobRecord, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	for {
		st.mu.Lock()
		j := st.active[id]
		st.mu.Unlock()
		if j != nil {
			select {
			case <-j.done:
			case <-ctx.Done():
			}
		}
		rec, ok, err := st.get(context.WithoutCancel(ctx), id)
		if err != nil || !ok || rec.State == JobDone || ctx.Err() != nil {
			return rec, ok, err
		}
		if j == nil { // another server of the fleet runs it: look again soon
			t := time.NewTimer(jobPoll)
			select {
			case <-t.C:
			case <-ctx.Done():
			}
			t.Stop()
		}
	}
}

// errElsewhere: the job runs on another server of the fleet, which cannot be asked to stop it.
var errElsewhere = errors.New("this job runs on another server of the fleet, which cannot be asked to cancel it now; try again, or wait for it to end")

// cancelJob stops job id: a queued one ends at once, a running one is killed, one that another
// server of the fleet runs is canceled there. It returns the job as it ended (waiting a few
// seconds for a killed one), false when there is no such job, or errElsewhere.
func (st *jobStore) cancelJob(ctx context.Context, id string) (jobRecord, bool, error) {
	if !st.cancelHere(id) {
		rec, ok, err := st.get(ctx, id)
		if err != nil || !ok || rec.State == JobDone {
			return rec, ok, err
		}
		sctx, cancel := context.WithTimeout(ctx, storeTimeout)
		err = st.back.cancelElsewhere(sctx, id)
		cancel()
		if err != nil {
			return rec, ok, err
		}
	}
	return st.wait(ctx, id, 5*time.Second)
}

// cancelHere cancels job id if this server runs it, and reports whether it does.
func (st *jobStore) cancelHere(id string) bool {
	st.mu.Lock()
	j := st.active[id]
	if j == nil {
		st.mu.Unlock()
		return false
	}
	switch j.rec.State {
	case JobQueued:
		st.queue = slices.DeleteFunc(st.queue, func(q *job) bool { return q == j })
		st.mu.Unlock()
		st.finish(j, executor.Result{}, context.Canceled)
	default:
		j.cancel(nil)
		st.mu.Unlock()
	}
	return true
}

// close ends the jobs: queued ones are done with errStopped, running ones are killed (and end
// with it too), except those the fleet's stream holds, which this server lets go of: they run
// on in the fleet, and another server (or this one restarted) takes them over (jobs_kv.go).
// Then the backend is let go. It may be called more than once.
func (st *jobStore) close() {
	st.closeOnce.Do(func() {
		st.mu.Lock()
		st.stopping = true
		queued := st.queue
		st.queue = nil
		for _, j := range st.active {
			switch {
			case j.cancel == nil:
			case j.rec.Seq != 0 && st.find != nil:
				j.cancel(fleet.ErrDetached)
			default:
				j.cancel(nil)
			}
		}
		st.mu.Unlock()
		close(st.quit)
		for _, j := range queued {
			st.finish(j, executor.Result{}, context.Canceled)
		}
		st.wg.Wait()
		st.back.close()
	})
}

// memJobs keeps job records in this process's memory: a done job for ttl after it ended, and
// at most max records at once.
type memJobs struct {
	ttl time.Duration
	max int

	mu   sync.Mutex
	recs map[string]jobRecord
}

func newMemJobs(ttl time.Duration, max int) *memJobs {
	return &memJobs{ttl: ttl, max: max, recs: map[string]jobRecord{}}
}

func (m *memJobs) create(_ context.Context, rec jobRecord) error {
	rec.Hook = nil // the job's server keeps it (jobStore.active) as long as it is needed
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweepLocked(time.Now())
	if len(m.recs) >= m.max {
		return fmt.Errorf("%w (the server keeps at most %d jobs; try again when some have ended)", executor.ErrBusy, m.max)
	}
	m.recs[rec.ID] = rec
	return nil
}

func (m *memJobs) update(_ context.Context, rec jobRecord) error {
	rec.Hook = nil
	m.mu.Lock()
	defer m.mu.Unlock()
	m.recs[rec.ID] = rec
	return nil
}

func (m *memJobs) finish(ctx context.Context, rec jobRecord) (bool, error) {
	return true, m.update(ctx, rec)
}

func (m *memJobs) get(_ context.Context, id string) (jobRecord, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweepLocked(time.Now())
	rec, ok := m.recs[id]
	return rec, ok, nil
}

func (m *memJobs) cancelElsewhere(context.Context, string) error { return errElsewhere }

func (m *memJobs) close() {}

// sweepLocked forgets jobs done more than ttl ago.
func (m *memJobs) sweepLocked(now time.Time) {
	for id, r := range m.recs {
		if r.State == JobDone && now.Sub(r.Finished) > m.ttl {
			delete(m.recs, id)
		}
	}
}

// checkCallback says why a callback_url may not be called, or nil: it must be http(s) to a host
// the operator allowed with --callback-allow (none by default), so that a client cannot make
// the server call its internal network (Judge0's SSRF class).
func (s *Server) checkCallback(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return executor.Invalid("callback_url", "callback_url %q is not an http:// or https:// URL", raw)
	}
	if len(s.opts.CallbackAllow) == 0 {
		return executor.Invalid("callback_url", "this server calls no callback_url (the operator allows hosts with serve --callback-allow HOST); poll GET /api/v1/jobs/{id} instead")
	}
	host := strings.ToLower(u.Hostname())
	for _, a := range s.opts.CallbackAllow {
		a = strings.ToLower(a)
		if a == host || a == strings.ToLower(u.Host) {
			return nil
		}
	}
	return executor.Invalid("callback_url", "callback_url host %q is not one this server may call (allowed: %s)", u.Host, strings.Join(s.opts.CallbackAllow, ", "))
}

// callback PUTs the done job to its callback_url (as Judge0 does), retrying a failure up to 5
// times, 1 s doubling apart. Redirects are not followed.
func (s *Server) callback(raw string, body any) {
	b, err := json.Marshal(body)
	if err != nil {
		return
	}
	client := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport: &http.Transport{DialContext: (&net.Dialer{Timeout: 5 * time.Second}).DialContext}}
	delay := time.Second
	for attempt := 1; attempt <= 5; attempt++ {
		req, err := http.NewRequest(http.MethodPut, raw, bytes.NewReader(b))
		if err != nil {
			return
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode/100 == 2 {
				return
			}
			err = fmt.Errorf("answered %s", resp.Status)
		}
		s.log.Warn("callback failed", "url", raw, "attempt", attempt, "err", err)
		time.Sleep(delay)
		delay *= 2
	}
}

// maxJobWait bounds how long a request may wait for a job to end.
const maxJobWait = 60 * time.Second
