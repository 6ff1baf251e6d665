package web

import (
	"errors"
	"io"
	"sync"
)

// maxStdinBacklog bounds the interactive input a program has not read yet.
const maxStdinBacklog = 1 << 20

// stdinFeed carries a WebSocket client's "stdin" messages to a running program without ever
// blocking the connection's reader: input is queued (bounded) and written by its own goroutine.
type stdinFeed struct {
	pr *io.PipeReader
	pw *io.PipeWriter

	mu      sync.Mutex
	queue   [][]byte
	backlog int
	eof     bool
	wake    chan struct{}
	done    chan struct{}
	closeMu sync.Once
}

func newStdinFeed() *stdinFeed {
	pr, pw := io.Pipe()
	f := &stdinFeed{pr: pr, pw: pw, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go f.pump()
	return f
}

// reader is what the program reads after the request's own stdin.
func (f *stdinFeed) reader() io.Reader { return f.pr }

// feed queues data; eof ends the program's stdin once the queue is written.
func (f *stdinFeed) feed(data string, eof bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.eof {
		return errors.New("stdin was already ended with \"eof\":true")
	}
	if f.backlog+len(data) > maxStdinBacklog {
		return errors.New("the program has not read the input sent so far (1 MiB waiting); this input was dropped")
	}
	if data != "" {
		f.queue = append(f.queue, []byte(data))
		f.backlog += len(data)
	}
	f.eof = eof
	select {
	case f.wake <- struct{}{}:
	default:
	}
	return nil
}

func (f *stdinFeed) pump() {
	for {
		select {
		case <-f.wake:
		case <-f.done:
			return
		}
		for {
			f.mu.Lock()
			if len(f.queue) == 0 {
				eof := f.eof
				f.mu.Unlock()
				if eof {
					f.pw.Close()
					return
				}
				break
			}
			chunk := f.queue[0]
			f.queue = f.queue[1:]
			f.backlog -= len(chunk)
			f.mu.Unlock()
			if _, err := f.pw.Write(chunk); err != nil {
				return // the run ended and nobody reads any more
			}
		}
	}
}

// close ends the feed when the run is over: a pending write fails and the pump stops.
func (f *stdinFeed) close() {
	f.closeMu.Do(func() {
		close(f.done)
		f.pr.CloseWithError(io.ErrClosedPipe)
		f.pw.CloseWithError(io.ErrClosedPipe)
	})
}
