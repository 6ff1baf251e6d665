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
	"github.com/sandrun/sandrun/executor/hooks"
)

// Asynchronous jobs (docs/jobs.md): POST /api/v1/jobs answers 202 {id} at once, the run waits in
// this server's queue, GET /api/v1/jobs/{id} tells its state and, when done, its Result; DELETE
// cancels it. On one machine jobs live in memory for Options.JobTTL after they end: a restart
// forgets them. Judge0's /submissions (judge0.go) are jobs too.

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
// Result (refused by a hook, canceled, the executor failed): the sentence the run would have got.
type JobView struct {
	ID       string           `json:"id"`
	State    JobState         `json:"state"`
	Result   *executor.Result `json:"result,omitempty"`
	Error    string           `json:"error,omitempty"`
	Created  time.Time        `json:"created"`
	Finished *time.Time       `json:"finished,omitempty"`
}

type job struct {
	id       string
	client   string // who submitted it (the peer address), for the hooks
	req      executor.Request
	callback jobCallback
	created  time.Time

	// guarded by jobStore.mu
	state    JobState
	result   *executor.Result
	err      error
	finished time.Time
	cancel   context.CancelFunc
	done     chan struct{} // closed when the job is done
	judge0   *judge0Job    // a Judge0 submission's own fields; nil for a job of /api/v1/jobs
}

// jobStore holds the jobs of one server and runs them with a fixed number of workers, so that
// a burst waits here (queued) instead of being refused by the executor.
type jobStore struct {
	s       *Server
	ttl     time.Duration
	max     int
	workers int

	mu    sync.Mutex
	jobs  map[string]*job
	queue []*job
	wake  chan struct{}

	startOnce sync.Once
	closeOnce sync.Once
	quit      chan struct{}
	wg        sync.WaitGroup
}

func newJobStore(s *Server, ttl time.Duration, max int) *jobStore {
	return &jobStore{s: s, ttl: ttl, max: max, jobs: map[string]*job{}, wake: make(chan struct{}, 1), quit: make(chan struct{})}
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

// submit queues req, asked by client, as a new job and returns it, or an error when the store is full.
// judge0Job is what a Judge0 submission adds to its job.
type judge0Job struct {
	expected   *string // the expected output, compared when done
	languageID int     // the submission's language_id
}

// jobCallback is where a done job is reported ("" for nowhere) and, when body is set, what is
// sent (else the JobView).
type jobCallback struct {
	url  string
	body func(*job) any
}

func (st *jobStore) submit(client string, req executor.Request, callback jobCallback, j0 *judge0Job) (*job, error) {
	st.start()
	now := time.Now()
	j := &job{id: hooks.NewID(), client: client, req: req, callback: callback, created: now, state: JobQueued, done: make(chan struct{}), judge0: j0}
	st.mu.Lock()
	st.sweepLocked(now)
	if len(st.jobs) >= st.max {
		st.mu.Unlock()
		return nil, fmt.Errorf("%w (the server keeps at most %d jobs; try again when some have ended)", executor.ErrBusy, st.max)
	}
	st.jobs[j.id] = j
	st.queue = append(st.queue, j)
	st.mu.Unlock()
	select {
	case st.wake <- struct{}{}:
	default:
	}
	return j, nil
}

func (st *jobStore) work() {
	defer st.wg.Done()
	for {
		st.mu.Lock()
		var j *job
		if len(st.queue) > 0 {
			j, st.queue = st.queue[0], st.queue[1:]
		}
		var ctx context.Context
		if j != nil {
			ctx, j.cancel = context.WithCancel(context.Background())
			j.state = JobRunning
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
		res, err := st.s.run(hooks.WithID(hooks.WithClient(ctx, j.client), j.id), j.req, nil)
		st.finish(j, res, err)
	}
}

func (st *jobStore) finish(j *job, res executor.Result, err error) {
	st.mu.Lock()
	if j.cancel != nil {
		j.cancel()
	}
	if err == nil {
		j.result = &res
	} else {
		j.err = err
	}
	j.state, j.finished = JobDone, time.Now()
	close(j.done)
	view := j.viewLocked()
	st.mu.Unlock()
	if cb := j.callback; cb.url != "" {
		go func() {
			body := any(view)
			if cb.body != nil {
				body = cb.body(j)
			}
			st.s.callback(cb.url, body)
		}()
	}
}

// get returns the job with id, or nil.
func (st *jobStore) get(id string) *job {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.sweepLocked(time.Now())
	return st.jobs[id]
}

// cancel stops the job: a queued one ends at once, a running one is killed. It reports whether
// the job was there.
func (st *jobStore) cancelJob(id string) bool {
	st.mu.Lock()
	j := st.jobs[id]
	if j == nil {
		st.mu.Unlock()
		return false
	}
	switch j.state {
	case JobQueued:
		st.queue = slices.DeleteFunc(st.queue, func(q *job) bool { return q == j })
		st.mu.Unlock()
		st.finish(j, executor.Result{}, fmt.Errorf("the job was canceled before it ran: %w", context.Canceled))
		return true
	case JobRunning:
		j.cancel()
	}
	st.mu.Unlock()
	return true
}

// sweepLocked forgets jobs done more than ttl ago.
func (st *jobStore) sweepLocked(now time.Time) {
	for id, j := range st.jobs {
		if j.state == JobDone && now.Sub(j.finished) > st.ttl {
			delete(st.jobs, id)
		}
	}
}

// view is the job as its client sees it.
func (st *jobStore) view(j *job) JobView {
	st.mu.Lock()
	defer st.mu.Unlock()
	return j.viewLocked()
}

func (j *job) viewLocked() JobView {
	v := JobView{ID: j.id, State: j.state, Result: j.result, Created: j.created}
	if j.state == JobDone {
		f := j.finished
		v.Finished = &f
		if j.err != nil {
			v.Error = j.err.Error()
		}
	}
	return v
}

// close stops the workers and kills the running jobs; jobs still queued are dropped (they live
// in memory only). It may be called more than once.
func (st *jobStore) close() {
	st.closeOnce.Do(func() { close(st.quit) })
	st.mu.Lock()
	for _, j := range st.jobs {
		if j.cancel != nil {
			j.cancel()
		}
	}
	st.mu.Unlock()
	st.wg.Wait()
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

// waitJob waits until j is done, the request ends, or d passed.
func waitJob(r *http.Request, j *job, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-j.done:
	case <-r.Context().Done():
	case <-t.C:
	}
}

// refusal returns the error of a done job that an operator's pre hook refused, or nil.
func (st *jobStore) refusal(j *job) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if j.state == JobDone && errors.Is(j.err, executor.ErrRefused) {
		return j.err
	}
	return nil
}
