package fleet

import (
	"context"
	"errors"
	"fmt"
	neturl "net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/languages"
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
	// Languages, when set, limits the jobs pulled: a language id ("python") takes every
	// installed runtime of that language, a runtime key ("javascript/bun") that runtime only.
	// Otherwise every runtime the Executor has installed. An entry that matches no installed
	// runtime is an error.
	Languages []string
	// Grace is how long the jobs running when Serve's ctx ends may go on before they are
	// stopped and handed back to the queue; 0 means DefaultGrace. A negative Grace hands
	// them back at once.
	Grace time.Duration
	// Logf, when set, receives a line when the worker loses or regains NATS.
	Logf func(format string, args ...any)
}

// DefaultGrace is how long a stopping worker lets its running jobs finish.
const DefaultGrace = 30 * time.Second

// Worker pulls jobs from the fleet for the language runtimes its executor has, runs them with
// its own slots, and streams output and the Result back. While a job runs it renews its claim
// every AckWait/4, so a live worker's job is never given to another; when the worker dies, the
// job goes to another worker after AckWait. It reconnects to NATS on its own.
type Worker struct {
	opts  WorkerOptions
	id    string
	langs map[string]string            // language id -> version
	rts   map[string]map[string]string // language id -> runtime -> version
	sem   chan struct{}

	// Draining (Serve's ctx ended): no more fetching; the jobs running go on until kill.
	draining atomic.Bool
	runs     sync.WaitGroup     // jobs this worker holds (running or waiting for a slot)
	runCtx   context.Context    // the jobs' context: ends when the grace is over (or HandBack)
	kill     context.CancelFunc // ends runCtx

	handbacks jetstream.KeyValue // HandbacksBucket, set by Serve

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
	if err := opts.Conn.CheckPlaintext(); err != nil {
		return nil, err
	}
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
	langs, rts, err := installed(infos, opts.Languages)
	if err != nil {
		return nil, err
	}
	if opts.Grace == 0 {
		opts.Grace = DefaultGrace
	}
	runCtx, kill := context.WithCancel(context.Background())
	return &Worker{
		opts: opts, id: sanitize(opts.Host) + "-" + strings.ToLower(nuid.Next()[12:]), langs: langs, rts: rts,
		sem: make(chan struct{}, opts.Slots), started: time.Now(), abandonCh: make(chan struct{}), poke: make(chan struct{}, 1),
		runCtx: runCtx, kill: kill,
	}, nil
}

// installed finds the runtimes a worker pulls jobs for among the executor's languages, limited
// to only (language ids and "id/runtime" keys) when given. An executor that does not list the
// runtimes of a language has one: the runtime it names, else the catalog's default one.
func installed(infos []executor.LanguageInfo, only []string) (map[string]string, map[string]map[string]string, error) {
	langs := map[string]string{}
	rts := map[string]map[string]string{}
	used := map[string]bool{}
	var cat *languages.Set
	for _, l := range infos {
		if !l.Available {
			continue
		}
		type rtv struct{ name, version string }
		var have []rtv
		for _, r := range l.Runtimes {
			if r.Available {
				have = append(have, rtv{r.Runtime, r.Version})
			}
		}
		if len(l.Runtimes) == 0 {
			name := l.Runtime
			if name == "" {
				if cat == nil {
					cat, _ = languages.Load()
				}
				name = l.ID
				if cat != nil {
					if rs := cat.Runtimes(l.ID); len(rs) > 0 {
						name = rs[0].Runtime
					}
				}
			}
			have = append(have, rtv{name, l.Version})
		}
		for _, r := range have {
			if only != nil {
				key := l.ID + "/" + r.name
				switch {
				case contains(only, key):
					used[key] = true
				case contains(only, l.ID):
					used[l.ID] = true
				default:
					continue
				}
			}
			if rts[l.ID] == nil {
				rts[l.ID] = map[string]string{}
				langs[l.ID] = r.version
			}
			rts[l.ID][r.name] = r.version
			if r.name == l.Runtime {
				langs[l.ID] = r.version // the runtime a request without one gets
			}
		}
	}
	for _, o := range only {
		if !used[o] {
			return nil, nil, fmt.Errorf("fleet: worker: %q matches no runtime installed here; give language ids (python) or runtime keys (javascript/bun) as \"sandrun languages\" lists them", o)
		}
	}
	if len(langs) == 0 {
		return nil, nil, errors.New("fleet: worker: the executor has no language installed; run \"sandrun doctor\"")
	}
	return langs, rts, nil
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

// Serve connects (retrying until NATS answers), then pulls and runs jobs until ctx ends. Then
// it drains: it takes no more jobs, hands back at once those waiting for a slot, and lets the
// running ones finish within WorkerOptions.Grace (or until HandBack); those still running then
// are stopped and handed back to the queue. A job handed back does not count as one of its
// MaxTries. Serve returns when no job is left.
func (w *Worker) Serve(ctx context.Context) error {
	defer w.kill()
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
	// fetch ends with ctx: no more jobs. The connection, the claims and the heartbeat live on
	// through the drain.
	fetch, stopFetch := context.WithCancel(ctx)
	defer stopFetch()
	go func() {
		select {
		case <-w.abandonCh:
			nc.Close()
			stopFetch()
			w.kill()
		case <-w.runCtx.Done(): // HandBack
			stopFetch()
		case <-fetch.Done():
		}
	}()

	var s *setup
	rl := retryLog{url: redactURL(w.opts.Conn.URL), every: time.Second}
	for s == nil {
		if s, err = ensure(fetch, nc, w.opts.Conn); err == nil {
			w.handbacks, err = ensureKV(fetch, s.js, jetstream.KeyValueConfig{Bucket: HandbacksBucket, TTL: ResultTTL,
				Replicas: replicasOf(nc, w.opts.Conn), Storage: jetstream.FileStorage})
		}
		if err != nil {
			s = nil
			if fetch.Err() != nil {
				return nil
			}
			if line := rl.failed(nc.IsConnected(), err); line != "" {
				logf("fleet: worker %s: %s", w.id, line)
			}
			sleep(fetch, rl.every)
		}
	}
	alive, stopHeartbeat := context.WithCancel(context.Background())
	beat := make(chan struct{})
	go func() { defer close(beat); w.heartbeat(alive, s) }()
	var pulls sync.WaitGroup
	for lang, rts := range w.rts {
		for rt := range rts {
			pulls.Add(1)
			go func() { defer pulls.Done(); w.pull(fetch, nc, s, consumerConfig(lang, rt)) }()
		}
	}
	pulls.Add(1)
	go func() { defer pulls.Done(); w.pullLegacy(fetch, nc, s) }()
	pulls.Wait()

	if !w.abandoned() {
		w.draining.Store(true)
		if nc.IsConnected() {
			w.putStatus(alive, s)
		}
		w.drain()
	}
	stopHeartbeat()
	<-beat
	if !w.abandoned() && nc.IsConnected() {
		dctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_ = s.workers.Delete(dctx, w.id)
		cancel()
	}
	return nil
}

// drain waits for the jobs the worker holds, up to the grace; then it stops those still
// running, which hand themselves back, and waits for them.
func (w *Worker) drain() {
	done := make(chan struct{})
	go func() { w.runs.Wait(); close(done) }()
	if w.opts.Grace > 0 {
		t := time.NewTimer(w.opts.Grace)
		defer t.Stop()
		select {
		case <-done:
		case <-t.C:
		case <-w.runCtx.Done(): // HandBack
		}
	}
	w.kill()
	<-done
}

// HandBack stops the worker at once, or ends its drain (a second SIGTERM): it takes no more
// jobs, and those it holds are stopped and handed back to the queue for another worker,
// without counting as one of their tries. Serve then returns.
func (w *Worker) HandBack() { w.kill() }

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

// consumerConfig is the durable pull consumer every worker with runtime rt of lang shares.
func consumerConfig(lang, rt string) jetstream.ConsumerConfig {
	return jetstream.ConsumerConfig{
		Durable:       consumerName(lang, rt),
		Description:   "sandrun workers for " + lang + " (" + rt + ")",
		FilterSubject: jobSubject(lang, rt),
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       AckWait,
		// Tries are counted by the workers (deliveries minus hand-backs, see handle): past
		// MaxTries a delivery records that the job was tried MaxTries times instead of
		// running it. The server does not bound the deliveries, so that no job is left in
		// the stream undelivered.
		MaxDeliver:    -1,
		MaxAckPending: -1,
		MaxWaiting:    4096,
	}
}

// pull takes the jobs of cfg's consumer while a slot is free, until ctx ends.
func (w *Worker) pull(ctx context.Context, nc *nats.Conn, s *setup, cfg jetstream.ConsumerConfig) {
	var cons jetstream.Consumer
	for ctx.Err() == nil {
		if cons == nil {
			c, err := s.js.CreateOrUpdateConsumer(ctx, StreamName, cfg)
			if err != nil {
				sleep(ctx, time.Second)
				continue
			}
			cons = c
		}
		// Ask for a job only while a slot is free, so that a busy worker leaves the queue's
		// jobs to others. Jobs of several runtimes may still arrive at once; they wait in
		// take for a slot with their claim kept alive.
		w.waitSlot(ctx)
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
		w.take(ctx, nc, s, msg)
	}
}

// waitSlot returns when a slot is free or ctx ended.
func (w *Worker) waitSlot(ctx context.Context) {
	for len(w.sem) >= cap(w.sem) && ctx.Err() == nil {
		sleep(ctx, 20*time.Millisecond)
	}
}

// take runs msg's job in a slot, waiting for one with the claim kept alive; a job received
// when the worker stops fetching is handed back at once.
func (w *Worker) take(ctx context.Context, nc *nats.Conn, s *setup, msg jetstream.Msg) {
	if ctx.Err() != nil {
		w.handBack(msg, "", 0)
		return
	}
	w.runs.Add(1)
	claim := w.keepClaim(msg)
	select {
	case w.sem <- struct{}{}:
	case <-ctx.Done():
		claim()
		w.handBack(msg, "", 0)
		w.runs.Done()
		return
	}
	select { // BUSY in the worker's entry follows at once, not at the next heartbeat
	case w.poke <- struct{}{}:
	default:
	}
	go func() {
		defer w.runs.Done()
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
		w.handle(nc, s, msg, release)
	}()
}

// keepClaim renews msg's claim every AckWait/4 until the returned func is called.
func (w *Worker) keepClaim(msg jetstream.Msg) func() {
	stop := make(chan struct{})
	go func() {
		t := time.NewTicker(AckWait / 4)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-w.abandonCh:
				return
			case <-t.C:
				_ = msg.InProgress()
			}
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { close(stop) }) }
}

// handBack gives msg's job back to the queue (after delay) for another worker, noting it in
// HandbacksBucket so that the next delivery does not count this one as a try.
func (w *Worker) handBack(msg jetstream.Msg, id string, delay time.Duration) {
	if w.abandoned() {
		return
	}
	if id == "" && msg.Headers() != nil {
		id = msg.Headers().Get(jetstream.MsgIDHeader)
	}
	if id != "" && w.handbacks != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		n := w.handedBack(ctx, id)
		_, _ = w.handbacks.Put(ctx, id, []byte(strconv.Itoa(n+1)))
		cancel()
	}
	if delay > 0 {
		_ = msg.NakWithDelay(delay)
	} else {
		_ = msg.Nak()
	}
}

// handedBack is how many times workers handed job id back.
func (w *Worker) handedBack(ctx context.Context, id string) int {
	if w.handbacks == nil {
		return 0
	}
	e, err := w.handbacks.Get(ctx, id)
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(string(e.Value()))
	return n
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
		ID: w.id, Host: w.opts.Host, Slots: cap(w.sem), Busy: len(w.sem), Languages: w.langs, Runtimes: w.rts,
		Draining: w.draining.Load(), Version: executor.Version, Done: w.done.Load(), Failed: w.failed.Load(),
		Redeliver: w.redelivered.Load(), Started: w.started,
	}
	pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	_, _ = s.workers.Put(pctx, w.id, marshal(info))
	cancel()
}

// Runtimes returns the keys of the runtimes the worker pulls ("javascript/bun"), sorted.
func (w *Worker) Runtimes() []string {
	var out []string
	for id, rts := range w.rts {
		for rt := range rts {
			out = append(out, id+"/"+rt)
		}
	}
	sort.Strings(out)
	return out
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

// retryLog says what a worker waiting for NATS is doing, once per change rather than once per
// attempt: "cannot reach NATS at URL; retrying every 1s" while no server answers (the raw
// "context deadline exceeded" of each attempt says nothing more), else the error of the attempt
// when it differs from the last one logged.
type retryLog struct {
	url   string
	every time.Duration
	last  string
}

// failed returns the line to log for a failed attempt, or "" when it would repeat the last.
func (r *retryLog) failed(connected bool, err error) string {
	line := fmt.Sprintf("cannot reach NATS at %s; retrying every %s", r.url, r.every)
	if connected {
		line = fmt.Sprintf("NATS at %s is reached but not ready (%v); retrying every %s", r.url, err, r.every)
	}
	if line == r.last {
		return ""
	}
	r.last = line
	return line
}

// redactURL is url (one or more servers) without any password or token in it.
func redactURL(url string) string {
	parts := strings.Split(url, ",")
	for i, p := range parts {
		p = strings.TrimSpace(p)
		if u, err := neturl.Parse(p); err == nil && u.User != nil {
			u.User = nil
			p = u.String()
		}
		parts[i] = p
	}
	return strings.Join(parts, ",")
}
