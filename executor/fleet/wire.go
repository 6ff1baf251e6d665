// Package fleet runs executor.Requests on a fleet of workers through NATS JetStream: a Client
// (an executor.Executor behind `--executor nats://…`) publishes each job to a bounded work-queue
// stream, a Worker (`sandrun executor --nats …`) pulls the jobs for the languages it has, runs
// them in its local executor and streams output and the Result back. Embedded starts a NATS
// server with JetStream inside `sandrun serve`. docs/fleet.md describes the guarantees.
//
// It is not for running programs itself (the Worker wraps any executor.Executor, usually the
// local sandbox) nor for choosing an executor (executor/spec does that).
package fleet

import (
	"encoding/json"
	"time"

	"github.com/sandrun/sandrun/executor"
)

// Names in NATS. A job for runtime R of language L is published on jobSubject(L, R) into the
// stream StreamName; the workers that have that runtime share the durable consumer
// consumerName(L, R). Clients before runtime routing published on legacySubject(L), which
// workers still drain (legacy.go).
const (
	StreamName    = "SANDRUN_JOBS"
	ResultsBucket = "sandrun_results"
	WorkersBucket = "sandrun_workers"
	BlobsBucket   = "sandrun_blobs"
	// HandbacksBucket counts, per job id, the deliveries a live worker gave back (stopping,
	// or its executor busy): they do not count as tries.
	HandbacksBucket = "sandrun_handbacks"
	subjectJobs     = "sandrun.job."
	subjectOut      = "sandrun.out."    // + job id: start, output and result messages of a job
	subjectIn       = "sandrun.in."     // + job id + "." + attempt: interactive stdin
	subjectCancel   = "sandrun.cancel." // + job id
	headerKind      = "Sandrun-Kind"    // on out messages: kindStart, kindEvent, kindResult
	headerAttempt   = "Sandrun-Attempt"
	headerStage     = "Sandrun-Stage"
	headerStream    = "Sandrun-Stream"
	headerEOF       = "Sandrun-Eof" // on stdin messages: the input ended
	kindStart       = "start"
	kindEvent       = "event"
	kindResult      = "result"
	consumerPrefix  = "rt_"
	legacyPrefix    = "lang_" // the per-language consumers of workers before runtime routing
)

// Defaults of the fleet's tunables.
const (
	// DefaultQueueMax bounds the jobs the stream holds (waiting and running) before a
	// submission answers busy.
	DefaultQueueMax = 5000
	// MaxTries is how many times a job runs at most: a worker that dies mid-run (its claim
	// not renewed within AckWait) gives the job to another worker, up to this many times.
	MaxTries = 3
	// AckWait is how long a claim lives without a heartbeat; workers renew it every
	// AckWait/4 while a job runs, so a live worker's job is never redelivered.
	AckWait = 5 * time.Second
	// DedupeWindow is how long a job id is remembered: a submission repeated within it
	// (a client's retry) does not run again.
	DedupeWindow = 10 * time.Minute
	// ResultTTL is how long Results are kept for clients that come back for them.
	ResultTTL = time.Hour
	// workerTTL is how long a worker's status entry outlives its last heartbeat.
	workerTTL = time.Minute
	// heartbeatEvery is how often a worker refreshes its status entry.
	heartbeatEvery = 2 * time.Second
	// liveWithin: a worker whose status is older than this is not counted as in the fleet.
	liveWithin = 10 * time.Second
	// chunk is the largest output or stdin piece in one message.
	chunk = 32 << 10
)

// job is the message a Client publishes; its Nats-Msg-Id is ID.
type job struct {
	ID      string           `json:"id"`
	Request executor.Request `json:"request"`
	// Interactive says the client streams stdin on subjectIn+ID+"."+attempt after each start.
	Interactive bool `json:"interactive,omitempty"`
}

// outcome is what a job ended with, kept in ResultsBucket under the job id and sent to the
// client: a Result, or the error the worker's executor returned. A Result too large for one
// NATS message is in BlobsBucket under the job id, and Blob is set.
type outcome struct {
	Result  *executor.Result `json:"result,omitempty"`
	Error   *wireError       `json:"error,omitempty"`
	Blob    bool             `json:"blob,omitempty"`
	Worker  string           `json:"worker,omitempty"`
	Attempt int              `json:"attempt,omitempty"`
}

// wireError carries an executor error across: a *executor.RequestError keeps its field.
type wireError struct {
	Request bool   `json:"request,omitempty"`
	Field   string `json:"field,omitempty"`
	Msg     string `json:"msg"`
}

func (e *wireError) err() error {
	if e.Request {
		return &executor.RequestError{Field: e.Field, Msg: e.Msg}
	}
	return &RemoteError{Msg: e.Msg}
}

// RemoteError is the machinery error a worker's executor returned for a job.
type RemoteError struct{ Msg string }

func (e *RemoteError) Error() string { return "fleet: worker: " + e.Msg }

// WorkerInfo is a worker's entry in WorkersBucket, refreshed every few seconds.
type WorkerInfo struct {
	ID        string            `json:"id"`
	Host      string            `json:"host"`
	Slots     int               `json:"slots"`
	Busy      int               `json:"busy"`
	Languages map[string]string `json:"languages"` // language id -> version (of the runtime a request without one gets)
	// Runtimes are the runtimes the worker pulls jobs for: language id -> runtime -> version.
	// Workers before runtime routing leave it empty; clients do not count them.
	Runtimes  map[string]map[string]string `json:"runtimes,omitempty"`
	Version   string                       `json:"version"`
	Done      int64                        `json:"done"`        // jobs it finished with a Result
	Failed    int64                        `json:"failed"`      // jobs it ended with an error or internal_error
	Redeliver int64                        `json:"redelivered"` // jobs it received that another worker had abandoned
	// Draining: the worker is stopping; it takes no new job and finishes the ones it has.
	Draining bool      `json:"draining,omitempty"`
	Started  time.Time `json:"started"`
	LastSeen time.Time `json:"last_seen"` // from the entry's time in the bucket
	Live     bool      `json:"live"`      // seen within the last 10 s
}

func jobSubject(lang, runtime string) string {
	return subjectJobs + sanitize(lang) + "." + sanitize(runtime)
}

func consumerName(lang, runtime string) string {
	return consumerPrefix + sanitize(lang) + "_" + sanitize(runtime)
}

// legacySubject and legacyConsumer are the names of a language's jobs before runtime routing.
func legacySubject(lang string) string  { return subjectJobs + sanitize(lang) }
func legacyConsumer(lang string) string { return legacyPrefix + sanitize(lang) }

// sanitize keeps a language id usable in a subject token and a consumer name.
func sanitize(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			b[i] = '_'
		}
	}
	return string(b)
}

func marshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only plain data is marshalled here
	}
	return b
}
