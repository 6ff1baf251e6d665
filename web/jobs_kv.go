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
)

// Jobs in the NATS fleet's key-value store (docs/jobs.md). Each server of the fleet writes its
// jobs' records under "job.<id>" in the bucket sandrun_jobs (entries kept for the job TTL after
// their last write), and refreshes "server.<instance>" every few seconds while it lives. A
// DELETE on another server writes "cancel.<id>"; the server that runs the job watches those. A
// queued or running job whose server has not refreshed its entry for a while (it crashed, or
// restarted under a new instance id) can never end: the first server that reads it marks it
// done with a sentence. A record too large for one NATS message keeps its Judge0 fields and its
// Result in the bucket's blob store.

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
)

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
	return nil
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

// get reads job id; a job left unfinished by a server that is gone is marked done first.
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
		rec.State, rec.Finished, rec.Error = JobDone, time.Now().UTC(), errServerGone
		data, err := k.encode(ctx, rec)
		if err != nil {
			return jobRecord{}, false, &jobStoreError{err}
		}
		_, err = k.b.Update(ctx, jobKey(id), data, e.Revision)
		if err == nil {
			return k.blobs(ctx, rec)
		}
		if !errors.Is(err, fleet.ErrConflict) {
			return jobRecord{}, false, &jobStoreError{err}
		}
		// Its server wrote meanwhile (it lives after all), or another reader marked it: read again.
	}
	return jobRecord{}, false, &jobStoreError{fmt.Errorf("job %s changes too fast to read", id)}
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
	rec.Judge0Blob, rec.ResultBlob = false, false
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
