package remote

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/sandrun/sandrun/executor"
)

// run runs req remotely under a fresh run id. When ctx ends first it sends cancel and waits
// (up to opts.CancelWait) for the executor to confirm the run ended, then returns ctx.Err().
func (s *session) run(ctx context.Context, req executor.Request, onEvent func(executor.Event)) (executor.Result, error) {
	if err := ctx.Err(); err != nil {
		return executor.Result{}, err
	}
	id := "r" + strconv.FormatUint(s.nextID.Add(1), 10)
	params, err := json.Marshal(RunParams{RunID: id, Request: req})
	if err != nil {
		return executor.Result{}, fmt.Errorf("encode request: %w", err)
	}
	// The frame also holds the envelope: {"jsonrpc":"2.0","method":"run","params":…,"id":N}.
	if size := int64(len(params)) + 64; s.maxSend > 0 && size > s.maxSend {
		return executor.Result{}, &executor.RequestError{Msg: fmt.Sprintf(
			"the request is %s encoded (sources and stdin travel in base64); the executor at %s accepts at most %s",
			executor.FormatBytes(size), s.addr, executor.FormatBytes(s.maxSend))}
	}
	ev := newEvents(onEvent)
	s.runsMu.Lock()
	s.runs[id] = ev
	s.runsMu.Unlock()
	defer func() {
		s.runsMu.Lock()
		delete(s.runs, id)
		s.runsMu.Unlock()
	}()

	type answer struct {
		res executor.Result
		err error
	}
	answered := make(chan answer, 1)
	go func() {
		var a answer
		a.err = s.call(context.Background(), MethodRun, json.RawMessage(params), &a.res)
		answered <- a
	}()

	select {
	case a := <-answered:
		ev.finish()
		return a.res, a.err
	case <-ctx.Done():
	}
	cctx, cancel := context.WithTimeout(context.Background(), s.opts.CancelWait)
	defer cancel()
	_ = s.notify(cctx, MethodCancel, CancelParams{RunID: id})
	select {
	case <-answered:
	case <-cctx.Done():
	case <-s.dead:
	}
	ev.finish()
	return executor.Result{}, ctx.Err()
}
