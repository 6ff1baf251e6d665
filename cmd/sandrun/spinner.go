package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/term"
)

// spinner shows "running…" on a terminal's stderr while nothing has been printed yet (a slow
// compile), and erases itself before the first output. It does nothing when stderr is not a
// terminal. A nil *spinner is valid and inert.
type spinner struct {
	w       io.Writer
	done    chan struct{}
	stopped sync.Once
	wg      sync.WaitGroup
}

func startSpinner(w io.Writer) *spinner {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	s := &spinner{w: w, done: make(chan struct{})}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		frames := `⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏`
		start := time.Now()
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		drawn := false
		for i := 0; ; i++ {
			select {
			case <-s.done:
				if drawn {
					fmt.Fprint(s.w, "\r\033[K")
				}
				return
			case <-t.C:
				if time.Since(start) < 400*time.Millisecond {
					continue
				}
				r := []rune(frames)
				fmt.Fprintf(s.w, "\r%c running… %.1fs", r[i%len(r)], time.Since(start).Seconds())
				drawn = true
			}
		}
	}()
	return s
}

// stop erases the spinner and waits until it is gone.
func (s *spinner) stop() {
	if s == nil {
		return
	}
	s.stopped.Do(func() { close(s.done) })
	s.wg.Wait()
}
