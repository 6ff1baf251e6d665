package remote

import (
	"sync"
	"time"
)

// loginThrottle remembers failed logins per client address, so that guessing a token gets
// slower with every wrong guess: the n-th attempt after n-1 failures waits loginDelay(n-1).
// Failures are forgotten after loginForget without one, or at a successful login.
type loginThrottle struct {
	mu    sync.Mutex
	fails map[string]loginFailures
}

type loginFailures struct {
	n    int
	last time.Time
}

const (
	loginBaseDelay = 100 * time.Millisecond
	loginMaxDelay  = 2 * time.Second // under the 5 s login deadline: a right token from a busy address still gets in
	loginForget    = 10 * time.Minute
	// loginMaxAddrs bounds the addresses remembered; past it the oldest entries are dropped.
	loginMaxAddrs = 4096
)

func newLoginThrottle() *loginThrottle { return &loginThrottle{fails: map[string]loginFailures{}} }

// loginDelay is the wait before an attempt after n failures: none, then 100 ms doubling up to 2 s.
func loginDelay(n int) time.Duration {
	if n <= 0 {
		return 0
	}
	d := loginBaseDelay
	for i := 1; i < n && d < loginMaxDelay; i++ {
		d *= 2
	}
	return min(d, loginMaxDelay)
}

// delay returns how long an attempt from addr must wait first.
func (t *loginThrottle) delay(addr string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	f, ok := t.fails[addr]
	if !ok || time.Since(f.last) > loginForget {
		return 0
	}
	return loginDelay(f.n)
}

// fail records a failed login from addr and returns its count of failures.
func (t *loginThrottle) fail(addr string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := time.Now()
	if len(t.fails) >= loginMaxAddrs {
		for a, f := range t.fails {
			if now.Sub(f.last) > loginForget || len(t.fails) >= loginMaxAddrs {
				delete(t.fails, a)
			}
			if len(t.fails) < loginMaxAddrs/2 {
				break
			}
		}
	}
	f := t.fails[addr]
	if now.Sub(f.last) > loginForget {
		f.n = 0
	}
	f.n++
	f.last = now
	t.fails[addr] = f
	return f.n
}

func (t *loginThrottle) succeed(addr string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.fails, addr)
}

// failures returns the failures remembered for addr (for tests and logs).
func (t *loginThrottle) failures(addr string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.fails[addr].n
}
