package sandbox

import (
	"context"
	"encoding/json"
	"sync"
	"sync/atomic"
	"time"
)

// Pool keeps sandboxes ready, so that a run pays no namespace, mount or init start-up on its
// path: Get hands out a ready sandbox made with the same Config, and Put takes it back after
// the run, resets it in the background (see reset: every process gone, /work, /tmp and /dev/shm
// fresh tmpfs, a new cgroup and IPC namespace for each command) and keeps it for the next Get.
// A sandbox whose reset finds anything it cannot wipe is closed instead of being reused.
//
// A Pool is safe for concurrent use. Its zero value is not usable: call NewPool.
type Pool struct {
	maxIdle int
	ttl     time.Duration

	mu      sync.Mutex
	idle    []idleBox           // oldest first
	lent    map[*Sandbox]string // sandboxes out on a run → their Config's key
	coming  map[string]int      // sandboxes being reset or started for the idle list, by key
	changed chan struct{}       // closed (and replaced) when one of them arrives (or fails)
	closed  bool

	background sync.WaitGroup // resets and warm-ups in flight
	stop       chan struct{}

	hits, misses, discarded atomic.Int64
}

type idleBox struct {
	sb    *Sandbox
	key   string
	since time.Time
}

// PoolOptions size a Pool.
type PoolOptions struct {
	// MaxIdle is how many ready sandboxes are kept, every Config together; the least recently
	// used goes first. 0 means 4.
	MaxIdle int
	// IdleTimeout closes a sandbox nobody took for this long. 0 means 2 minutes.
	IdleTimeout time.Duration
}

// PoolStats count what a Pool did.
type PoolStats struct {
	Idle      int   // ready sandboxes now
	Hits      int64 // Gets served by a ready sandbox
	Misses    int64 // Gets that started a new one
	Discarded int64 // sandboxes closed because their reset failed
}

// NewPool returns an empty pool. Close it to close every sandbox it keeps.
func NewPool(opts PoolOptions) *Pool {
	if opts.MaxIdle <= 0 {
		opts.MaxIdle = 4
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = 2 * time.Minute
	}
	p := &Pool{maxIdle: opts.MaxIdle, ttl: opts.IdleTimeout, lent: map[*Sandbox]string{},
		coming: map[string]int{}, changed: make(chan struct{}), stop: make(chan struct{})}
	go p.expire()
	return p
}

// key identifies a Config: only a sandbox made with an equal one is handed out for it.
func key(cfg Config) string {
	b, _ := json.Marshal(cfg)
	return string(b)
}

// Get returns a sandbox for cfg, as fresh as one from New: a ready one when the pool has one
// (or is resetting one: a reset takes far less than a new sandbox), else a new one. Give it
// back with Put when the run is over (or Close it).
func (p *Pool) Get(ctx context.Context, cfg Config) (*Sandbox, error) {
	k := key(cfg)
	p.mu.Lock()
	for {
		for i := len(p.idle) - 1; i >= 0; i-- {
			if p.idle[i].key == k {
				sb := p.idle[i].sb
				p.idle = append(p.idle[:i], p.idle[i+1:]...)
				p.lent[sb] = k
				p.mu.Unlock()
				p.hits.Add(1)
				return sb, nil
			}
		}
		if p.coming[k] == 0 {
			break
		}
		// One is on its way. Runs one after another would each wait for the other's reset:
		// with a second sandbox for the key they alternate, one resetting while the other runs.
		if !p.closed && p.maxIdle >= 2 && p.coming[k]+p.lentFor(k) < 2 {
			p.warm(cfg, k)
		}
		changed := p.changed
		p.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		p.mu.Lock()
	}
	p.mu.Unlock()
	p.misses.Add(1)
	sb, err := New(ctx, cfg)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	p.lent[sb] = k
	p.mu.Unlock()
	return sb, nil
}

// Put takes back a sandbox that Get returned, once its run is over. It returns at once; the
// reset happens in the background. A sandbox the pool did not lend is closed.
func (p *Pool) Put(sb *Sandbox) {
	if sb == nil {
		return
	}
	p.mu.Lock()
	k, ok := p.lent[sb]
	delete(p.lent, sb)
	if !ok || p.closed {
		p.mu.Unlock()
		sb.Close()
		return
	}
	p.background.Add(1)
	p.coming[k]++
	p.mu.Unlock()
	go func() {
		defer p.background.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := sb.reset(ctx); err != nil {
			p.discarded.Add(1)
			sb.Close()
		} else {
			p.keep(sb, k)
		}
		p.arrived(k)
	}()
}

// arrived ends a reset or warm-up for key k and wakes the Gets waiting for one.
func (p *Pool) arrived(k string) {
	p.mu.Lock()
	if p.coming[k]--; p.coming[k] == 0 {
		delete(p.coming, k)
	}
	close(p.changed)
	p.changed = make(chan struct{})
	p.mu.Unlock()
}

// lentFor counts the sandboxes of key k out on a run (p.mu held).
func (p *Pool) lentFor(k string) int {
	n := 0
	for _, lk := range p.lent {
		if lk == k {
			n++
		}
	}
	return n
}

// Warm starts n sandboxes for cfg in the background, for Gets to come.
func (p *Pool) Warm(cfg Config, n int) {
	k := key(cfg)
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := 0; i < n && !p.closed; i++ {
		p.warm(cfg, k)
	}
}

// warm starts one sandbox for the idle list (p.mu held, the pool open).
func (p *Pool) warm(cfg Config, k string) {
	p.background.Add(1)
	p.coming[k]++
	go func() {
		defer p.background.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if sb, err := New(ctx, cfg); err == nil {
			p.keep(sb, k)
		}
		p.arrived(k)
	}()
}

// keep adds a ready sandbox to the idle list, closing the least recently used one past maxIdle.
func (p *Pool) keep(sb *Sandbox, k string) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		sb.Close()
		return
	}
	p.idle = append(p.idle, idleBox{sb: sb, key: k, since: time.Now()})
	var evict []*Sandbox
	for len(p.idle) > p.maxIdle {
		evict = append(evict, p.idle[0].sb)
		p.idle = p.idle[1:]
	}
	p.mu.Unlock()
	for _, e := range evict {
		e.Close()
	}
}

// expire closes sandboxes idle for longer than the timeout.
func (p *Pool) expire() {
	t := time.NewTicker(p.ttl / 4)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case now := <-t.C:
			p.mu.Lock()
			var old []*Sandbox
			keep := p.idle[:0]
			for _, b := range p.idle {
				if now.Sub(b.since) > p.ttl {
					old = append(old, b.sb)
				} else {
					keep = append(keep, b)
				}
			}
			p.idle = keep
			p.mu.Unlock()
			for _, sb := range old {
				sb.Close()
			}
		}
	}
}

// Stats reports the pool's counters.
func (p *Pool) Stats() PoolStats {
	p.mu.Lock()
	idle := len(p.idle)
	p.mu.Unlock()
	return PoolStats{Idle: idle, Hits: p.hits.Load(), Misses: p.misses.Load(), Discarded: p.discarded.Load()}
}

// Close closes every ready sandbox and, as they come back, every lent one; it waits for the
// resets and warm-ups in flight. Get still works after Close, without pooling.
func (p *Pool) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	idle := p.idle
	p.idle = nil
	close(p.stop)
	p.mu.Unlock()
	for _, b := range idle {
		b.sb.Close()
	}
	p.background.Wait()
	return nil
}
