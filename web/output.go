package web

import (
	"strings"
	"unicode/utf8"

	"github.com/sandrun/sandrun/executor"
)

// outputs collects each stage's stdout and stderr interleaved in the order they arrived, for
// Piston's "output" field. add is an executor onEvent callback (called from one goroutine).
type outputs struct {
	byStage map[executor.Stage]*strings.Builder
}

func newOutputs() *outputs { return &outputs{byStage: map[executor.Stage]*strings.Builder{}} }

func (o *outputs) add(ev executor.Event) {
	if ev.Restart > 0 { // the job started again elsewhere: only the new attempt's output counts
		o.byStage = map[executor.Stage]*strings.Builder{}
		return
	}
	b := o.byStage[ev.Stage]
	if b == nil {
		b = new(strings.Builder)
		o.byStage[ev.Stage] = b
	}
	b.Write(ev.Data)
}

// text returns a stage's interleaved output as valid UTF-8. When the executor sent no events for
// the stage (a cached compile, or an executor that does not stream), it falls back to stdout
// then stderr.
func (o *outputs) text(stage executor.Stage, res *executor.Result) string {
	if b := o.byStage[stage]; b != nil && b.Len() > 0 {
		return strings.ToValidUTF8(b.String(), "\uFFFD")
	}
	return res.Stdout + res.Stderr
}

// utf8Splitter turns a byte stream cut at arbitrary points into valid UTF-8 strings: a chunk's
// incomplete trailing sequence is held back and prefixed to the next chunk.
type utf8Splitter struct {
	carry []byte
}

// next returns the complete part of carry+data as a string (invalid bytes replaced).
func (u *utf8Splitter) next(data []byte) string {
	buf := append(u.carry, data...)
	cut := len(buf)
	// Hold back at most utf8.UTFMax-1 bytes that could begin a sequence still incomplete.
	for i := len(buf) - 1; i >= 0 && i >= len(buf)-(utf8.UTFMax-1); i-- {
		if utf8.RuneStart(buf[i]) {
			if !utf8.FullRune(buf[i:]) {
				cut = i
			}
			break
		}
	}
	u.carry = append([]byte(nil), buf[cut:]...)
	return strings.ToValidUTF8(string(buf[:cut]), "\uFFFD")
}

// flush returns whatever is held back, as valid UTF-8.
func (u *utf8Splitter) flush() string {
	s := strings.ToValidUTF8(string(u.carry), "\uFFFD")
	u.carry = nil
	return s
}
