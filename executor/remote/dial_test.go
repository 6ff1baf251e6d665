package remote

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"
)

// TestDialHoldsNoLock: while a dial hangs (the executor accepted but never answers), Close and
// other callers are not blocked behind it, and the waiters share the one dial.
func TestDialHoldsNoLock(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 4)
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- nc // silent: never authenticates
		}
	}()
	c := &Client{addr: ln.Addr().String(), opts: Options{DialTimeout: time.Hour}}
	c.opts.setDefaults()

	ctx, cancel := context.WithCancel(context.Background())
	errs := make(chan error, 2)
	for range 2 {
		go func() { _, err := c.Capacity(ctx); errs <- err }()
	}
	nc := <-accepted // the dial is in flight
	defer nc.Close()

	c.mu.Lock() // would wait for the dial if session() held it
	d := c.dialing
	c.mu.Unlock()
	if d == nil {
		t.Fatal("no dial in flight")
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	cancel()
	for range 2 {
		// A waiter ends with its ctx; one that came after Close is told so.
		if err := <-errs; !errors.Is(err, context.Canceled) && !errors.Is(err, errClientClosed) {
			t.Errorf("waiter: %v, want context.Canceled or errClientClosed", err)
		}
	}
	select {
	case extra := <-accepted:
		extra.Close()
		t.Error("a second dial started: waiters must share the one in flight")
	default:
	}
	nc.Close() // the dial fails; the closed client keeps no session
	if _, err := d.Result(); err == nil {
		t.Error("the dial to a silent executor succeeded")
	}
	if _, err := c.session(context.Background()); !errors.Is(err, errClientClosed) {
		t.Errorf("session after Close: %v, want errClientClosed", err)
	}
}
