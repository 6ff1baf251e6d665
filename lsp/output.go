package lsp

import (
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/sandrun/sandrun/executor"
)

// utf8Stream turns chunks of a byte stream into valid UTF-8 strings without breaking a
// character split between two chunks: an incomplete sequence at a chunk's end waits for the
// next chunk. Bytes that are invalid on their own become U+FFFD.
type utf8Stream struct{ pending []byte }

// next returns what can be shown of the stream so far.
func (u *utf8Stream) next(chunk []byte) string {
	data := append(u.pending, chunk...)
	cut := completeLen(data)
	u.pending = append([]byte(nil), data[cut:]...)
	return strings.ToValidUTF8(string(data[:cut]), "\uFFFD")
}

// flush returns what was held back (an incomplete sequence at the end of the stream).
func (u *utf8Stream) flush() string {
	data := u.pending
	u.pending = nil
	return strings.ToValidUTF8(string(data), "\uFFFD")
}

// completeLen is the length of data without a trailing incomplete UTF-8 sequence.
func completeLen(data []byte) int {
	n := len(data)
	for i := n - 1; i >= 0 && i >= n-utf8.UTFMax+1; i-- {
		c := data[i]
		if c < utf8.RuneSelf {
			return n
		}
		if !utf8.RuneStart(c) {
			continue // a continuation byte: look further back for its lead
		}
		need := 0
		switch {
		case c&0xE0 == 0xC0:
			need = 2
		case c&0xF0 == 0xE0:
			need = 3
		case c&0xF8 == 0xF0:
			need = 4
		}
		if n-i < need {
			return i
		}
		return n
	}
	return n
}

// Output is batched before it is sent: a program that writes a byte at a time (Python's stderr,
// a traceback) would otherwise cost the editor one notification per byte. What arrives within
// outputWindow of the first unsent byte goes in one notification, as does up to outputMaxBatch
// bytes; a change of stream or stage sends what was held first, so stdout and stderr keep their
// order, and a prompt with no newline still appears within outputWindow.
var outputWindow = 15 * time.Millisecond

const outputMaxBatch = 16 << 10

// outputKey is one stream of one stage.
type outputKey struct {
	stage  executor.Stage
	stream executor.Stream
}

// coalescer batches a run's output (see outputWindow) and hands each batch to send, in order.
// add may be called from the executor's goroutine while the timer flushes from another.
type coalescer struct {
	send func(k outputKey, data string)

	mu      sync.Mutex
	streams map[outputKey]*utf8Stream
	order   []outputKey
	key     outputKey
	pending strings.Builder
	timer   *time.Timer
}

func newCoalescer(send func(outputKey, string)) *coalescer {
	return &coalescer{send: send, streams: map[outputKey]*utf8Stream{}}
}

// add queues data (raw bytes of stream k) for sending.
func (c *coalescer) add(k outputKey, data []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	u := c.streams[k]
	if u == nil {
		u = new(utf8Stream)
		c.streams[k] = u
		c.order = append(c.order, k)
	}
	c.queueLocked(k, u.next(data))
}

// note queues text that is already valid UTF-8 (a restart note) on stream k.
func (c *coalescer) note(k outputKey, text string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.queueLocked(k, text)
}

func (c *coalescer) queueLocked(k outputKey, text string) {
	if text == "" {
		return
	}
	if c.pending.Len() > 0 && c.key != k {
		c.flushLocked()
	}
	c.key = k
	c.pending.WriteString(text)
	switch {
	case c.pending.Len() >= outputMaxBatch:
		c.flushLocked()
	case c.timer == nil:
		c.timer = time.AfterFunc(outputWindow, c.flush)
	}
}

// flush sends what is held (the timer's call).
func (c *coalescer) flush() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.flushLocked()
}

func (c *coalescer) flushLocked() {
	if c.timer != nil {
		c.timer.Stop()
		c.timer = nil
	}
	if c.pending.Len() == 0 {
		return
	}
	data := c.pending.String()
	c.pending.Reset()
	c.send(c.key, data)
}

// close sends everything held, including incomplete characters at the streams' ends. Nothing is
// sent after it returns.
func (c *coalescer) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range c.order {
		c.queueLocked(k, c.streams[k].flush())
	}
	c.flushLocked()
}
