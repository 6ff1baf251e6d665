package fleet

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sandrun/sandrun/executor"
)

// handle runs one delivery of a job and records its outcome, once per job id. The run goes on
// until it ends, the client cancels it, or the worker's grace is over (w.runCtx).
// release frees the job's slot (it may be called more than once).
func (w *Worker) handle(nc *nats.Conn, s *setup, msg jetstream.Msg, release func()) {
	// The bookkeeping outlives the worker's stop: a job that ends during the drain has its
	// Result recorded. The JetStream calls bound themselves (their default timeout).
	ctx := context.Background()
	var j job
	if err := json.Unmarshal(msg.Data(), &j); err != nil || j.ID == "" {
		_ = msg.TermWithReason("not a sandrun job")
		return
	}
	attempt := 1
	if md, err := msg.Metadata(); err == nil {
		attempt = int(md.NumDelivered)
	}
	tries := attempt // deliveries that ran the job, or whose worker died
	if attempt > 1 {
		w.redelivered.Add(1)
		// The previous attempt may have recorded its outcome and died before its ack.
		if _, err := s.results.Get(ctx, j.ID); err == nil {
			_ = msg.Ack()
			return
		}
		tries -= w.handedBack(ctx, j.ID)
	}
	if tries > MaxTries {
		w.failed.Add(1)
		res := executor.Result{
			Language: j.Request.Language, Status: executor.StatusInternalError,
			Message: fmt.Sprintf("the fleet tried this job %d times and each worker that took it stopped before finishing (killed, or lost its connection to NATS); not trying again", MaxTries),
		}
		w.record(ctx, nc, s, j.ID, attempt, outcome{Result: &res})
		_ = msg.Ack()
		return
	}

	runCtx, cancel := context.WithCancel(w.runCtx)
	defer cancel()
	var canceled atomic.Bool
	var cancelReply atomic.Value
	csub, err := nc.Subscribe(subjectCancel+j.ID, func(m *nats.Msg) {
		cancelReply.Store(m.Reply)
		canceled.Store(true)
		cancel()
	})
	if err == nil {
		defer func() { _ = csub.Unsubscribe() }()
	}
	req := j.Request
	if j.Interactive {
		pr, pw := io.Pipe()
		isub, err := nc.Subscribe(subjectIn+j.ID+"."+strconv.Itoa(attempt), func(m *nats.Msg) {
			if len(m.Data) > 0 {
				_, _ = pw.Write(m.Data)
			}
			if m.Header.Get(headerEOF) != "" {
				_ = pw.Close()
			}
		})
		if err == nil {
			defer func() { _ = isub.Unsubscribe(); _ = pw.Close() }()
			req.StdinStream = pr
		}
	}
	out := subjectOut + j.ID
	att := strconv.Itoa(attempt)
	start := nats.NewMsg(out)
	start.Header.Set(headerKind, kindStart)
	start.Header.Set(headerAttempt, att)
	_ = nc.PublishMsg(start)

	// Output is batched (executor.EventBatcher): a byte-at-a-time writer is a few messages.
	events := executor.NewEventBatcher(0, func(ev executor.Event) {
		for data := ev.Data; len(data) > 0; {
			n := min(len(data), chunk)
			m := nats.NewMsg(out)
			m.Header.Set(headerKind, kindEvent)
			m.Header.Set(headerAttempt, att)
			m.Header.Set(headerStage, string(ev.Stage))
			m.Header.Set(headerStream, string(ev.Stream))
			m.Data = data[:n]
			_ = nc.PublishMsg(m)
			data = data[n:]
		}
	})
	res, err := w.opts.Executor.Run(runCtx, req, events.Add)
	events.Close()
	switch {
	case w.abandoned():
		return
	case canceled.Load(): // the client canceled: nobody waits for a Result
		_ = msg.Term()
		release()
		if reply, _ := cancelReply.Load().(string); reply != "" {
			w.putStatus(ctx, s) // so that the client's Capacity no longer counts the run
			_ = nc.Publish(reply, nil)
		}
		return
	}
	if err != nil && w.runCtx.Err() != nil { // the worker's grace is over: another worker runs it
		w.handBack(msg, j.ID, 0)
		return
	}
	if errors.Is(err, executor.ErrBusy) {
		w.handBack(msg, j.ID, time.Second)
		return
	}
	o := outcome{Result: &res}
	if err != nil {
		var re *executor.RequestError
		if errors.As(err, &re) {
			o = outcome{Error: &wireError{Request: true, Field: re.Field, Msg: re.Msg}}
		} else {
			o = outcome{Error: &wireError{Msg: err.Error()}}
		}
	}
	if o.Error != nil || res.Status == executor.StatusInternalError {
		w.failed.Add(1)
	} else {
		w.done.Add(1)
	}
	w.record(ctx, nc, s, j.ID, attempt, o)
	_ = msg.Ack()
}

// record stores o as the job's one outcome (the first recorded wins) and sends it to the
// client. A Result too large for one message goes to the blob store.
func (w *Worker) record(ctx context.Context, nc *nats.Conn, s *setup, id string, attempt int, o outcome) {
	o.Worker, o.Attempt = w.id, attempt
	data := marshal(o)
	if room := nc.MaxPayload() - 4096; int64(len(data)) > room && o.Result != nil {
		// The blob's chunks are messages too: under a small max_payload the object store's
		// default 128 KiB chunk would be refused and the job would never end.
		chunk := uint32(max(min(room, 128<<10), 1024))
		meta := jetstream.ObjectMeta{Name: id, Opts: &jetstream.ObjectMetaOptions{ChunkSize: chunk}}
		if _, err := s.blobs.Put(ctx, meta, bytes.NewReader(marshal(o.Result))); err == nil {
			o.Result, o.Blob = nil, true
		} else {
			o = outcome{Worker: w.id, Attempt: attempt, Error: &wireError{Msg: "the Result is too large for this fleet's NATS messages and could not be stored: " + err.Error()}}
		}
		data = marshal(o)
	}
	if _, err := s.results.Create(ctx, id, data); err != nil {
		return // another attempt recorded first (or NATS is gone: the job is redelivered)
	}
	m := nats.NewMsg(subjectOut + id)
	m.Header.Set(headerKind, kindResult)
	m.Header.Set(headerAttempt, strconv.Itoa(attempt))
	m.Data = data
	_ = nc.PublishMsg(m)
}
