package fleet

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"

	"github.com/sandrun/sandrun/executor"
)

// WorkerOptions shape a Worker. Zero fields take the defaults named on each.
type WorkerOptions struct {
	Conn ConnOptions
	// Executor runs the jobs (usually the local sandbox). Required.
	Executor executor.Executor
	// Slots is how many jobs run at once; 0 means the Executor's own slots.
	Slots int
	// Host names the worker in fleet status; default the host name.
	Host string
	// Languages, when set, limits the languages pulled to these ids; otherwise every language
	// the Executor has installed.
	Languages []string
	// Logf, when set, receives a line when the worker loses or regains NATS.
	Logf func(format string, args ...any)
}

// Worker pulls jobs from the fleet for the languages its executor has, runs them with its own
// slots, and streams output and the Result back. While a job runs it renews its claim every
// AckWait/4, so a live worker's job is never given to another; when the worker dies, the job
// goes to another worker after AckWait. It reconnects to NATS on its own.
type Worker struct {
	opts  WorkerOptions
	id    string
	langs map[string]string
	sem   chan struct{}

	done, failed, redelivered atomic.Int64
	started                   time.Time

	poke chan struct{} // a job ended: refresh the status entry soon

	abandonCh chan struct{} // closed by abandon (tests): stop without acking anything
	abandonMu sync.Once
}

// NewWorker checks opts and asks the executor which languages it has; Serve does the rest.
func NewWorker(ctx context.Context, opts WorkerOptions) (*Worker, error) {
	if opts.Executor == nil {
		return nil, errors.New("fleet: worker needs an executor")
	}
	url, err := parseURL(opts.Conn.URL)
	if err != nil {
		return nil, err
	}
	opts.Conn.URL = url
	if opts.Slots <= 0 {
		cp, err := opts.Executor.Capacity(ctx)
		if err != nil {
			return nil, fmt.Errorf("fleet: worker: capacity: %w", err)
		}
		opts.Slots = max(cp.Slots, 1)
	}
	if opts.Host == "" {
		opts.Host, _ = os.Hostname()
	}
	infos, err := opts.Executor.Languages(ctx)
	if err != nil {
		return nil, fmt.Errorf("fleet: worker: languages: %w", err)
	}
	langs := map[string]string{}
	for _, l := range infos {
		if l.Available && (opts.Languages == nil || contains(opts.Languages, l.ID)) {
			langs[l.ID] = l.Version
		}
	}
	if len(langs) == 0 {
		return nil, errors.New("fleet: worker: the executor has no language installed; run \"sandrun doctor\"")
	}
	return &Worker{
		opts: opts, id: sanitize(opts.Host) + "-" + strings.ToLower(nuid.Next()[12:]), langs: langs,
		sem: make(chan struct{}, opts.Slots), started: time.Now(), abandonCh: make(chan struct{}), poke: make(chan struct{}, 1),
	}, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Slots is how many jobs the worker runs at once.
func (w *Worker) Slots() int { return cap(w.sem) }

// ID is the worker's name in fleet status.
func (w *Worker) ID() string { return w.id }

// Serve connects (retrying until NATS answers), then pulls and runs jobs until ctx ends. Jobs
// still running then are canceled and handed back to the queue for another worker.
func (w *Worker) Serve(ctx context.Context) error {
	opts, err := w.opts.Conn.natsOptions()
	if err != nil {
		return err
	}
	logf := w.opts.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	opts = append(opts, nats.RetryOnFailedConnect(true), nats.MaxReconnects(-1), nats.ReconnectWait(time.Second),
		nats.Timeout(3*time.Second), nats.PingInterval(5*time.Second), nats.MaxPingsOutstanding(2),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil { // nil: the worker itself closed the connection
				logf("fleet: worker %s: lost NATS (%v); reconnecting", w.id, err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) { logf("fleet: worker %s: reconnected to %s", w.id, nc.ConnectedUrlRedacted()) }))
	nc, err := nats.Connect(w.opts.Conn.URL, opts...)
	if err != nil {
		return fmt.Errorf("fleet: worker: %w", err)
	}
	defer nc.Close()
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		select {
		case <-w.abandonCh:
			nc.Close()
			stop()
		case <-ctx.Done():
		}
	}()

	var s *setup
	for s == nil {
		if s, err = ensure(ctx, nc, w.opts.Conn); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			logf("fleet: worker %s: %v; retrying", w.id, err)
			sleep(ctx, time.Second)
		}
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); w.heartbeat(ctx, s) }()
	for lang := range w.langs {
		wg.Add(1)
		go func() { defer wg.Done(); w.pull(ctx, nc, s, lang) }()
	}
	wg.Wait()
	if !w.abandoned() {
		dctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_ = s.workers.Delete(dctx, w.id)
		cancel()
	}
	return nil
}

// abandon stops the worker as if it were killed: no ack, no Nak, no goodbye (tests).
func (w *Worker) abandon() { w.abandonMu.Do(func() { close(w.abandonCh) }) }

func (w *Worker) abandoned() bool {
	select {
	case <-w.abandonCh:
		return true
	default:
		return false
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// consumerConfig is the durable pull consumer every worker with lang shares.
func consumerConfig(lang string) jetstream.ConsumerConfig {
	return jetstream.ConsumerConfig{
		Durable:       consumerName(lang),
		Description:   "sandrun workers for " + lang,
		FilterSubject: jobSubject(lang),
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       AckWait,
		// Deliveries past MaxTries do not run the job: they record that it was tried
		// MaxTries times. The spare deliveries cover a worker dying while recording it.
		MaxDeliver:    MaxTries + 3,
		MaxAckPending: -1,
		MaxWaiting:    4096,
	}
}

// pull takes jobs for lang while a slot is free, until ctx ends.
func (w *Worker) pull(ctx context.Context, nc *nats.Conn, s *setup, lang string) {
	var cons jetstream.Consumer
	for ctx.Err() == nil {
		if cons == nil {
			c, err := s.js.CreateOrUpdateConsumer(ctx, StreamName, consumerConfig(lang))
			if err != nil {
				sleep(ctx, time.Second)
				continue
			}
			cons = c
		}
		// Ask for a job only while a slot is free, so that a busy worker leaves the queue's
		// jobs to others. Jobs of several languages may still arrive at once; they wait here
		// for a slot with their claim kept alive.
		for len(w.sem) >= cap(w.sem) && ctx.Err() == nil {
			sleep(ctx, 20*time.Millisecond)
		}
		fctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		msg, err := cons.Next(jetstream.FetchContext(fctx))
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if errors.Is(err, nats.ErrTimeout) || errors.Is(err, jetstream.ErrNoMessages) {
				continue
			}
			if errors.Is(err, jetstream.ErrConsumerNotFound) || errors.Is(err, jetstream.ErrConsumerDeleted) {
				cons = nil
			}
			sleep(ctx, 500*time.Millisecond)
			continue
		}
		if ctx.Err() != nil {
			if !w.abandoned() {
				_ = msg.Nak()
			}
			return
		}
		claim := w.keepClaim(ctx, msg)
		select {
		case w.sem <- struct{}{}:
		case <-ctx.Done():
			claim()
			if !w.abandoned() {
				_ = msg.Nak()
			}
			return
		}
		go func() {
			var once sync.Once
			release := func() {
				once.Do(func() {
					<-w.sem
					select {
					case w.poke <- struct{}{}:
					default:
					}
				})
			}
			defer release()
			defer claim()
			w.handle(ctx, nc, s, msg, release)
		}()
	}
}

// keepClaim renews msg's claim every AckWait/4 until the returned func is called.
func (w *Worker) keepClaim(ctx context.Context, msg jetstream.Msg) func() {
	stop := make(chan struct{})
	go func() {
		t := time.NewTicker(AckWait / 4)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				_ = msg.InProgress()
			}
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { close(stop) }) }
}

// heartbeat keeps the worker's entry in WorkersBucket fresh.
func (w *Worker) heartbeat(ctx context.Context, s *setup) {
	t := time.NewTicker(heartbeatEvery)
	defer t.Stop()
	for {
		w.putStatus(ctx, s)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-w.poke: // at most one extra write per 200 ms however many jobs end
			sleep(ctx, 200*time.Millisecond)
		}
	}
}

// putStatus writes the worker's entry in WorkersBucket.
func (w *Worker) putStatus(ctx context.Context, s *setup) {
	info := WorkerInfo{
		ID: w.id, Host: w.opts.Host, Slots: cap(w.sem), Busy: len(w.sem), Languages: w.langs,
		Version: executor.Version, Done: w.done.Load(), Failed: w.failed.Load(),
		Redeliver: w.redelivered.Load(), Started: w.started,
	}
	pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	_, _ = s.workers.Put(pctx, w.id, marshal(info))
	cancel()
}

// Languages returns the ids of the languages the worker pulls, sorted.
func (w *Worker) Languages() []string {
	out := make([]string, 0, len(w.langs))
	for id := range w.langs {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}
