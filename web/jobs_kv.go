package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/executor/fleet"
	"github.com/sandrun/sandrun/executor/hooks"
)

// Jobs in the NATS fleet's key-value store (docs/jobs.md). Each server of the fleet writes its
// jobs' records under "job.<id>" in the bucket sandrun_jobs (entries kept for the job TTL after
// their last write), and refreshes "server.<instance>" every few seconds while it lives. A
// DELETE on another server writes "cancel.<id>"; the server that runs the job watches those. A
// queued or running job whose server has not refreshed its entry for a while (it crashed, or
// restarted under a new instance id) is an orphan; the first server that reads it (a GET, or
// its sweep of the "open.<id>" keys of unfinished jobs every few seconds) takes it over with a
// compare-and-set on its entry. A job the fleet runs under fleetJobID(id) with its stream
// sequence noted (Seq) is asked after in the fleet: finished there, it ends with the fleet's
// Result; still queued or running there, the new server follows it to its end (and cancels it
// there on DELETE); otherwise, and for a job the fleet never held, it ends with errServerGone.
// Whoever writes the done state of a job with that compare-and-set sends its callback, so it
// is sent once. A record too large for one NATS message keeps its Judge0 fields and its Result
// in the bucket's blob store.

// jobsBucket is the bucket's name (fleet.OpenBucket prefixes "sandrun_").
const jobsBucket = "jobs"

// bucketOpener is a Fleet that can hold the jobs (*fleet.Client).
type bucketOpener interface {
	OpenBucket(ctx context.Context, name string, ttl time.Duration) (*fleet.Bucket, error)
}

// Liveness of the servers of a fleet.
const (
	serverBeat  = 3 * time.Second
	serverStale = 30 * time.Second
	// sweepEvery is how often a server looks for orphaned jobs (their keys "open.<id>").
	sweepEvery = 10 * time.Second
	// followPoll is how often a server asks the fleet about a job it took over.
	followPoll = time.Second
)

// jobFinder is a Fleet that runs the jobs under ids of their own and tells where one is
// (*fleet.Client).
type jobFinder interface {
	Find(ctx context.Context, id string, seq uint64) (fleet.Found, error)
	Cancel(ctx context.Context, id string, seq uint64) error
}

// fleetJobID is the id under which the fleet runs job id.
func fleetJobID(id string) string { return "job_" + id }

// errServerGone is the sentence of a job whose server stopped without ending it.
const errServerGone = "the server running this job restarted or stopped before it ended; submit it again"

// errJobStore is wrapped by the errors of a store that did not answer.
var errJobStore = errors.New("the job store did not answer")

// jobStoreError is a failure of the fleet's store: a 503 (it wraps executor.ErrBusy).
type jobStoreError struct{ err error }

func (e *jobStoreError) Error() string { return errJobStore.Error() + ": " + e.err.Error() }

func (e *jobStoreError) Is(target error) bool {
	return target == errJobStore || target == executor.ErrBusy
}

type kvJobs struct {
	b     *fleet.Bucket
	self  string
	log   *slog.Logger
	stale time.Duration // a server whose entry is older is gone
	find  jobFinder     // nil when the jobs do not run in the fleet
	// adopt follows a job taken over while the fleet runs it; ended notifies of a job this
	// server ended (its callback). Set before the first get.
	adopt func(jobRecord)
	ended func(jobRecord)

	quit        chan struct{}
	wg          sync.WaitGroup
	stopWatch   func()
	stopWatchMu sync.Mutex
}

// watchCancels calls cancel with the id of each job another server was asked to cancel.
func (k *kvJobs) watchCancels(cancel func(id string)) error {
	ctx, done := context.WithTimeout(context.Background(), storeTimeout)
	defer done()
	stop, err := k.b.Watch(ctx, "cancel.*", func(key string, _ fleet.Entry) {
		cancel(strings.TrimPrefix(key, "cancel."))
	})
	if err != nil {
		return err
	}
	k.stopWatchMu.Lock()
	k.stopWatch = stop
	k.stopWatchMu.Unlock()
	return nil
}

// cancelElsewhere asks the server that runs job id to cancel it.
func (k *kvJobs) cancelElsewhere(ctx context.Context, id string) error {
	if _, err := k.b.Put(ctx, "cancel."+id, []byte(k.self)); err != nil {
		return &jobStoreError{err}
	}
	return nil
}

// startSweep sweeps for orphaned jobs now and every sweepEvery until close.
func (k *kvJobs) startSweep() {
	k.wg.Add(1)
	go func() {
		defer k.wg.Done()
		t := time.NewTicker(sweepEvery)
		defer t.Stop()
		for {
			k.sweep()
			select {
			case <-t.C:
			case <-k.quit:
				return
			}
		}
	}()
}

func newKVJobs(b *fleet.Bucket, self string, log *slog.Logger) *kvJobs {
	k := &kvJobs{b: b, self: self, log: log, stale: serverStale, quit: make(chan struct{})}
	k.beat()
	k.wg.Add(1)
	go func() {
		defer k.wg.Done()
		t := time.NewTicker(serverBeat)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				k.beat()
			case <-k.quit:
				return
			}
		}
	}()
	return k
}

func jobKey(id string) string    { return "job." + id }
func openKey(id string) string   { return "open." + id }
func serverKey(id string) string { return "server." + id }

// beat refreshes this server's entry.
func (k *kvJobs) beat() {
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	if _, err := k.b.Put(ctx, serverKey(k.self), []byte(time.Now().UTC().Format(time.RFC3339))); err != nil {
		k.log.Warn("job store: this server's entry", "err", err)
	}
}

func (k *kvJobs) create(ctx context.Context, rec jobRecord) error {
	data, err := k.encode(ctx, rec)
	if err == nil {
		_, err = k.b.Create(ctx, jobKey(rec.ID), data)
	}
	if err != nil {
		return &jobStoreError{err}
	}
	if _, err := k.b.Put(ctx, openKey(rec.ID), []byte(k.self)); err != nil {
		// The job goes on; only a sweep would miss it, should its server die (a GET finds it).
		k.log.Warn("job store: unfinished job's mark", "job", rec.ID, "err", err)
	}
	return nil
}

// finish writes the done record rec if its stored record is still this server's and not done
// (compare-and-set), and reports whether it did.
func (k *kvJobs) finish(ctx context.Context, rec jobRecord) (bool, error) {
	rec.Hook, rec.HookBlob = nil, false // reported by this server now: no other needs it
	data, err := k.encode(ctx, rec)
	if err != nil {
		return false, &jobStoreError{err}
	}
	for range 5 {
		e, err := k.b.Get(ctx, jobKey(rec.ID))
		if errors.Is(err, fleet.ErrNotFound) { // expired meanwhile
			_, err = k.b.Create(ctx, jobKey(rec.ID), data)
		} else if err == nil {
			var cur jobRecord
			if json.Unmarshal(e.Value, &cur) == nil && (cur.State == JobDone || cur.Owner != k.self) {
				return false, nil // another server ended it, or took it over
			}
			_, err = k.b.Update(ctx, jobKey(rec.ID), data, e.Revision)
		}
		if err == nil {
			k.closeOpen(ctx, rec.ID)
			return true, nil
		}
		if !errors.Is(err, fleet.ErrConflict) {
			return false, &jobStoreError{err}
		}
	}
	return false, &jobStoreError{fmt.Errorf("job %s changes too fast to end", rec.ID)}
}

// closeOpen removes the key that marks job id unfinished.
func (k *kvJobs) closeOpen(ctx context.Context, id string) {
	if err := k.b.Delete(ctx, openKey(id)); err != nil {
		k.log.Warn("job store: unfinished job's mark", "job", id, "err", err)
	}
}

func (k *kvJobs) update(ctx context.Context, rec jobRecord) error {
	data, err := k.encode(ctx, rec)
	if err == nil {
		_, err = k.b.Put(ctx, jobKey(rec.ID), data)
	}
	if err != nil {
		return &jobStoreError{err}
	}
	return nil
}

// encode is rec as one entry: its Judge0 fields and then its Result move to the blob store
// when the whole is more than one NATS message takes.
func (k *kvJobs) encode(ctx context.Context, rec jobRecord) ([]byte, error) {
	data, err := json.Marshal(rec)
	if err != nil {
		return nil, err
	}
	if len(data) > k.b.MaxValue() && rec.Judge0 != nil {
		if err := k.b.PutBlob(ctx, rec.ID+".judge0", mustJSON(rec.Judge0)); err != nil {
			return nil, err
		}
		rec.Judge0, rec.Judge0Blob = nil, true
		data = mustJSON(rec)
	}
	if len(data) > k.b.MaxValue() && rec.Hook != nil {
		if err := k.b.PutBlob(ctx, rec.ID+".hook", mustJSON(rec.Hook)); err != nil {
			return nil, err
		}
		rec.Hook, rec.HookBlob = nil, true
		data = mustJSON(rec)
	}
	if len(data) > k.b.MaxValue() && rec.Result != nil {
		if err := k.b.PutBlob(ctx, rec.ID+".result", mustJSON(rec.Result)); err != nil {
			return nil, err
		}
		rec.Result, rec.ResultBlob = nil, true
		data = mustJSON(rec)
	}
	if len(data) > k.b.MaxValue() { // only a sentence is left that long
		rec.Error = rec.Error[:min(len(rec.Error), 1024)]
		data = mustJSON(rec)
	}
	return data, nil
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // plain data only
	}
	return b
}

// get reads job id; a job left unfinished by a server that is gone is taken over first.
func (k *kvJobs) get(ctx context.Context, id string) (jobRecord, bool, error) {
	for range 3 {
		e, err := k.b.Get(ctx, jobKey(id))
		if errors.Is(err, fleet.ErrNotFound) {
			return jobRecord{}, false, nil
		}
		if err != nil {
			return jobRecord{}, false, &jobStoreError{err}
		}
		var rec jobRecord
		if err := json.Unmarshal(e.Value, &rec); err != nil {
			return jobRecord{}, false, &jobStoreError{fmt.Errorf("job %s: %v", id, err)}
		}
		if rec.State == JobDone || rec.Owner == k.self || !k.gone(ctx, rec.Owner) {
			return k.blobs(ctx, rec)
		}
		next, ok := k.orphan(ctx, rec)
		if !ok { // the fleet did not answer: the job as it stands
			return k.blobs(ctx, rec)
		}
		stored := next
		if next.State == JobDone { // ended here and now, and reported here (k.ended)
			stored.Hook, stored.HookBlob = nil, false
		}
		data, err := k.encode(ctx, stored)
		if err != nil {
			return jobRecord{}, false, &jobStoreError{err}
		}
		_, err = k.b.Update(ctx, jobKey(id), data, e.Revision)
		if err == nil {
			full, found, err := k.blobs(ctx, next)
			if err != nil {
				return full, found, err
			}
			switch {
			case full.State != JobDone:
				if k.adopt != nil {
					k.adopt(full)
				}
			default:
				k.closeOpen(ctx, id)
				if k.ended != nil {
					k.ended(full)
				}
			}
			return full, found, nil
		}
		if !errors.Is(err, fleet.ErrConflict) {
			return jobRecord{}, false, &jobStoreError{err}
		}
		// Its server wrote meanwhile (it lives after all), or another reader took it: read again.
	}
	return jobRecord{}, false, &jobStoreError{fmt.Errorf("job %s changes too fast to read", id)}
}

// orphan is what becomes of rec, left unfinished by a server that is gone: done with the
// fleet's Result when the fleet finished it, this server's when the fleet still runs it, else
// done with errServerGone. False when the fleet could not tell now.
func (k *kvJobs) orphan(ctx context.Context, rec jobRecord) (jobRecord, bool) {
	now := time.Now().UTC()
	if rec.State != JobRunning || rec.Seq == 0 || k.find == nil { // never in the fleet
		rec.State, rec.Finished, rec.Error = JobDone, now, errServerGone
		return rec, true
	}
	f, err := k.find.Find(ctx, fleetJobID(rec.ID), rec.Seq)
	if err != nil {
		k.log.Warn("job store: an orphaned job in the fleet", "job", rec.ID, "err", err)
		return rec, false
	}
	switch f.State {
	case fleet.JobFinished:
		rec.State, rec.Finished = JobDone, now
		if f.Err == nil {
			rec.Result = &f.Result
		} else {
			rec.Error = f.Err.Error()
		}
	case fleet.JobPending:
		rec.Owner = k.self
	default:
		rec.State, rec.Finished, rec.Error = JobDone, now, errServerGone
	}
	return rec, true
}

// sweep reads every unfinished job (its "open.<id>" key), so that orphans are taken over
// even when nobody asks for them, and drops the marks of jobs that are done or gone.
func (k *kvJobs) sweep() {
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	keys, err := k.b.Keys(ctx, "open.*")
	if err != nil {
		k.log.Warn("job store: sweep", "err", err)
		return
	}
	seen := map[string]bool{}
	for _, key := range keys {
		id := strings.TrimPrefix(key, "open.")
		if seen[id] || ctx.Err() != nil {
			continue
		}
		seen[id] = true
		rec, ok, err := k.get(ctx, id)
		if err == nil && (!ok || rec.State == JobDone) {
			k.closeOpen(ctx, id)
		}
	}
}

// blobs fills in what encode moved to the blob store.
func (k *kvJobs) blobs(ctx context.Context, rec jobRecord) (jobRecord, bool, error) {
	if rec.Judge0Blob {
		b, err := k.b.GetBlob(ctx, rec.ID+".judge0")
		if err != nil && !errors.Is(err, fleet.ErrNotFound) {
			return jobRecord{}, false, &jobStoreError{err}
		}
		var j0 judge0Job
		if err == nil && json.Unmarshal(b, &j0) == nil {
			rec.Judge0 = &j0
		}
	}
	if rec.HookBlob {
		b, err := k.b.GetBlob(ctx, rec.ID+".hook")
		if err != nil && !errors.Is(err, fleet.ErrNotFound) {
			return jobRecord{}, false, &jobStoreError{err}
		}
		var hj hooks.Job
		if err == nil && json.Unmarshal(b, &hj) == nil {
			rec.Hook = &hj
		}
	}
	if rec.ResultBlob {
		b, err := k.b.GetBlob(ctx, rec.ID+".result")
		if err != nil && !errors.Is(err, fleet.ErrNotFound) {
			return jobRecord{}, false, &jobStoreError{err}
		}
		var res executor.Result
		if err == nil && json.Unmarshal(b, &res) == nil {
			rec.Result = &res
		} else if rec.Error == "" {
			rec.Error = "the job's Result is no longer in the fleet's store"
		}
	}
	rec.Judge0Blob, rec.ResultBlob, rec.HookBlob = false, false, false
	return rec, true, nil
}

// gone reports whether server has not refreshed its entry for k.stale.
func (k *kvJobs) gone(ctx context.Context, server string) bool {
	e, err := k.b.Get(ctx, serverKey(server))
	if errors.Is(err, fleet.ErrNotFound) {
		return true
	}
	return err == nil && time.Since(e.Created) > k.stale
}

// close stops the heartbeat and removes this server's entry: its unfinished jobs (there are
// none after jobStore.close) would read as gone at once.
func (k *kvJobs) close() {
	k.stopWatchMu.Lock()
	if k.stopWatch != nil {
		k.stopWatch()
	}
	k.stopWatchMu.Unlock()
	close(k.quit)
	k.wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	_ = k.b.Delete(ctx, serverKey(k.self))
}
