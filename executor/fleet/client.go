package fleet

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/languages"
)

// ClientOptions shape a Client. Zero fields take the defaults named on each.
type ClientOptions struct {
	Conn ConnOptions
	// LostAfter is how long a run tolerates a lost NATS connection before Run fails with an
	// error wrapping ErrUnreachable (the job may still finish: Result fetches it); default 5s.
	LostAfter time.Duration
	// Languages is the catalog that resolves aliases; nil means languages.Load().
	Languages *languages.Set
}

// Client is an executor.Executor that runs every request on the fleet: Run publishes a job
// to the work-queue stream and waits for its worker's output and Result. It is safe for
// concurrent use.
type Client struct {
	opts ClientOptions
	nc   *nats.Conn
	s    *setup
	cat  *languages.Set

	watch jetstream.KeyWatcher

	workersMu sync.Mutex
	workers   map[string]WorkerInfo
}

var _ executor.Executor = (*Client)(nil)

// Dial connects to the fleet's NATS servers, failing within ConnectTimeout (an error wrapping
// ErrUnreachable) when none answers, and reads which workers are in the fleet.
func Dial(ctx context.Context, opts ClientOptions) (*Client, error) {
	url, err := parseURL(opts.Conn.URL)
	if err != nil {
		return nil, err
	}
	opts.Conn.URL = url
	if err := opts.Conn.CheckPlaintext(); err != nil {
		return nil, err
	}
	if opts.Conn.ConnectTimeout <= 0 {
		opts.Conn.ConnectTimeout = 3 * time.Second
	}
	if opts.LostAfter <= 0 {
		opts.LostAfter = 5 * time.Second
	}
	cat := opts.Languages
	if cat == nil {
		if cat, err = languages.Load(); err != nil {
			return nil, err
		}
	}
	nopts, err := opts.Conn.natsOptions()
	if err != nil {
		return nil, err
	}
	nopts = append(nopts, nats.Timeout(opts.Conn.ConnectTimeout), nats.MaxReconnects(-1),
		nats.ReconnectWait(500*time.Millisecond), nats.PingInterval(5*time.Second), nats.MaxPingsOutstanding(2))
	nc, err := nats.Connect(url, nopts...)
	if err != nil {
		return nil, &unreachableError{url: url, cause: err}
	}
	sctx, cancel := context.WithTimeout(ctx, opts.Conn.ConnectTimeout+2*time.Second)
	defer cancel()
	s, err := ensure(sctx, nc, opts.Conn)
	if err != nil {
		nc.Close()
		if errors.Is(err, jetstream.ErrJetStreamNotEnabled) || errors.Is(err, jetstream.ErrJetStreamNotEnabledForAccount) {
			return nil, fmt.Errorf("fleet: NATS at %s has no JetStream; start nats-server with -js: %w", url, err)
		}
		return nil, fmt.Errorf("fleet: NATS at %s: %w", url, err)
	}
	c := &Client{opts: opts, nc: nc, s: s, cat: cat, workers: map[string]WorkerInfo{}}
	if err := c.watchWorkers(sctx); err != nil {
		nc.Close()
		return nil, err
	}
	return c, nil
}

// watchWorkers keeps c.workers current from WorkersBucket; it returns once the present
// entries are read.
func (c *Client) watchWorkers(ctx context.Context) error {
	w, err := c.s.workers.WatchAll(context.Background())
	if err != nil {
		return fmt.Errorf("fleet: watch workers: %w", err)
	}
	c.watch = w
	ready := make(chan struct{})
	go func() {
		first := true
		for e := range w.Updates() {
			if e == nil {
				if first {
					first = false
					close(ready)
				}
				continue
			}
			c.workersMu.Lock()
			if e.Operation() == jetstream.KeyValuePut {
				var info WorkerInfo
				if jsonUnmarshal(e.Value(), &info) == nil {
					info.LastSeen = e.Created()
					c.workers[e.Key()] = info
				}
			} else {
				delete(c.workers, e.Key())
			}
			c.workersMu.Unlock()
		}
	}()
	select {
	case <-ready:
		return nil
	case <-ctx.Done():
		_ = w.Stop()
		return fmt.Errorf("fleet: reading the workers: %w", ctx.Err())
	}
}

// live returns the workers seen within liveWithin.
func (c *Client) live() []WorkerInfo {
	c.workersMu.Lock()
	defer c.workersMu.Unlock()
	var out []WorkerInfo
	for _, w := range c.workers {
		if time.Since(w.LastSeen) < liveWithin {
			out = append(out, w)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Close ends the connection; runs in flight fail.
func (c *Client) Close() error {
	if c.watch != nil {
		_ = c.watch.Stop()
	}
	c.nc.Close()
	return nil
}

// NewJobID returns a fresh job id for RunJob.
func NewJobID() string { return nuid.Next() }

// Run implements executor.Executor: RunJob with the id given by WithJob, else a fresh one.
func (c *Client) Run(ctx context.Context, req executor.Request, onEvent func(executor.Event)) (executor.Result, error) {
	if jc := jobFrom(ctx); jc != nil {
		return c.RunJob(ctx, jc.id, req, onEvent)
	}
	return c.RunJob(ctx, NewJobID(), req, onEvent)
}

// resolve finds the language id and runtime a job goes to, refusing at once one no live worker
// has. A request naming no runtime (nor a runtime's alias, "bun") gets the language's default
// runtime when a live worker has it, else the first of its runtimes that one has: the rule
// of a single executor (executor.Request.Runtime), with the fleet's workers as the machine.
func (c *Client) resolve(name, runtime string) (string, string, error) {
	id := name
	l, known := c.cat.Lookup(name)
	if known {
		id = l.ID
	}
	have := c.runtimes(id)
	if !known && len(have) == 0 {
		if strings.TrimSpace(name) == "" {
			return "", "", executor.Invalid("language", "no language given; run \"sandrun languages\" to list them")
		}
		return "", "", executor.Invalid("language", "unknown language %q; run \"sandrun languages\" to list them", name)
	}
	rt := ""
	switch runtime = strings.TrimSpace(runtime); {
	case runtime != "" && known:
		r, ok := c.cat.Runtime(id, runtime)
		if !ok {
			var names []string
			for _, r := range c.cat.Runtimes(id) {
				names = append(names, r.Runtime)
			}
			return "", "", executor.Invalid("runtime", "%s has no runtime %q; its runtimes: %s", id, runtime, strings.Join(names, ", "))
		}
		rt = r.Runtime
	case runtime != "":
		rt = strings.ToLower(runtime)
	case known && !l.Default():
		rt = l.Runtime // an alias naming a runtime
	}
	if rt != "" {
		if _, ok := have[rt]; ok {
			return id, rt, nil
		}
		return "", "", c.missing(id, rt)
	}
	if known {
		for _, r := range c.cat.Runtimes(id) {
			if _, ok := have[r.Runtime]; ok {
				return id, r.Runtime, nil
			}
		}
	}
	if len(have) > 0 { // runtimes the catalog does not know
		names := make([]string, 0, len(have))
		for r := range have {
			names = append(names, r)
		}
		sort.Strings(names)
		return id, names[0], nil
	}
	return "", "", c.missing(id, "")
}

// missing is the refusal of a language (and runtime) no live worker has.
func (c *Client) missing(id, rt string) error {
	what := id
	if rt != "" {
		what += " (" + rt + ")"
	}
	msg := "no executor in the fleet has " + what
	for _, w := range c.live() {
		if _, ok := w.Runtimes[id][rt]; w.Draining && (ok || rt == "" && len(w.Runtimes[id]) > 0) {
			return executor.Invalid("language", "the only executor in the fleet with %s is stopping (worker %s on %s); try again when another one with it joins", what, w.ID, w.Host)
		}
	}
	for _, w := range c.live() {
		if _, ok := w.Languages[id]; ok && w.Runtimes == nil {
			msg += fmt.Sprintf("; worker %s runs sandrun %s, from before jobs were routed by runtime: upgrade it (docs/fleet.md)", w.ID, w.Version)
			break
		}
	}
	return executor.Invalid("language", "%s", msg)
}

// runtimes returns the runtimes of language id that live workers have, with a version of each.
// Workers from before runtime routing (no Runtimes) are not counted: they take no job a
// client of this version submits; nor are draining ones: they take no new job.
func (c *Client) runtimes(id string) map[string]string {
	out := map[string]string{}
	for _, w := range c.live() {
		if w.Draining {
			continue
		}
		for rt, v := range w.Runtimes[id] {
			if out[rt] == "" {
				out[rt] = v
			}
		}
	}
	return out
}

// has reports whether a live worker has runtime rt of language id.
func (c *Client) has(id, rt string) bool {
	_, ok := c.runtimes(id)[rt]
	return ok
}

// Languages implements executor.Executor: every known language and its runtimes, each available
// when a live worker has it (with that worker's version). Like a single executor's, a
// language's Runtime, Version and Compiled describe the runtime a request without one gets.
func (c *Client) Languages(ctx context.Context) ([]executor.LanguageInfo, error) {
	out := make([]executor.LanguageInfo, 0, len(c.cat.All()))
	for _, l := range c.cat.All() {
		have := c.runtimes(l.ID)
		info := executor.LanguageInfo{
			ID: l.ID, Name: l.Name, Aliases: orEmpty(l.Aliases), Extensions: orEmpty(l.Extensions),
			VSCodeID: l.VSCodeID, Compiled: l.Compiled(), Runtime: l.Runtime,
		}
		picked := false
		for _, r := range c.cat.Runtimes(l.ID) {
			v, ok := have[r.Runtime]
			ri := executor.RuntimeInfo{
				Runtime: r.Runtime, Name: r.DisplayRuntime(), Version: v, Aliases: orEmpty(r.Aliases),
				Default: r.Default(), Compiled: r.Compiled(), Available: ok,
			}
			if !ok {
				ri.Missing = "no executor in the fleet has " + l.ID + " (" + r.Runtime + ")"
			}
			info.Runtimes = append(info.Runtimes, ri)
			if ok && !picked {
				picked = true
				info.Name, info.Runtime, info.Version, info.Compiled, info.Available = r.Name, r.Runtime, v, r.Compiled(), true
			}
		}
		if !picked {
			info.Missing = "no executor in the fleet has " + l.ID
		}
		out = append(out, info)
	}
	return out, nil
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Capacity implements executor.Executor: the slots and busy slots of the live workers that
// take jobs (a draining one takes none), the jobs waiting in the stream and the stream's bound.
func (c *Client) Capacity(ctx context.Context) (executor.Capacity, error) {
	st, err := c.Status(ctx)
	if err != nil {
		return executor.Capacity{}, err
	}
	cp := executor.Capacity{Queued: st.Queued, QueueMax: st.QueueMax, Version: executor.Version}
	for _, w := range st.Workers {
		if w.Live && !w.Draining {
			cp.Slots += w.Slots
			cp.Running += w.Busy
		}
	}
	return cp, nil
}

func sortWorkers(ws []WorkerInfo) {
	sort.Slice(ws, func(i, j int) bool { return ws[i].Host+ws[i].ID < ws[j].Host+ws[j].ID })
}
