// Package watch reports when files change on disk, debounced. It watches each file's parent
// directory rather than the file, so it keeps working across editors that save by writing a new
// file and renaming it over the old one (the file's inode changes; the directory's does not).
//
// It is used by the LSP server's watch mode and by "sandrun watch". It is not for reading the
// files: the callback gets a path and decides what to do with it.
package watch

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
)

// DefaultDelay is how long a file must stay quiet after a change before OnChange is called.
const DefaultDelay = 150 * time.Millisecond

// Options configure a Watcher.
type Options struct {
	// Delay is the debounce: OnChange runs once the file has had no event for this long.
	// 0 means DefaultDelay.
	Delay time.Duration
	// OnChange is called with the cleaned absolute path of a watched file that was written or
	// created (renamed into place). It runs on its own goroutine; calls for one path never overlap.
	OnChange func(path string)
	// OnError receives the watcher's own errors (such as a kernel queue overflow). nil drops them.
	OnError func(error)
}

// Watcher watches a set of files. Its methods are safe for concurrent use.
type Watcher struct {
	fs   *fsnotify.Watcher
	opts Options
	done chan struct{}

	mu     sync.Mutex
	files  map[string]*file // cleaned absolute path
	dirs   map[string]int   // watched directory → number of watched files in it
	closed bool
}

type file struct {
	timer   *time.Timer
	running sync.Mutex // serialises OnChange calls for this file
}

// New starts a Watcher with no files.
func New(opts Options) (*Watcher, error) {
	if opts.OnChange == nil {
		return nil, errors.New("watch: Options.OnChange is required")
	}
	if opts.Delay <= 0 {
		opts.Delay = DefaultDelay
	}
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("watch: %w", err)
	}
	w := &Watcher{fs: fw, opts: opts, done: make(chan struct{}), files: map[string]*file{}, dirs: map[string]int{}}
	go w.loop()
	return w, nil
}

// Add starts watching path (made absolute). Adding a path twice is a no-op. The file need not
// exist yet, but its directory must.
func (w *Watcher) Add(path string) error {
	path, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("watch: %s: %w", path, err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return fmt.Errorf("watch: %s: the watcher is closed", path)
	}
	if _, ok := w.files[path]; ok {
		return nil
	}
	dir := filepath.Dir(path)
	if w.dirs[dir] == 0 {
		if err := w.fs.Add(dir); err != nil {
			return fmt.Errorf("watch: cannot watch directory %s: %w", dir, err)
		}
	}
	w.dirs[dir]++
	w.files[path] = &file{}
	return nil
}

// Remove stops watching path. A change already debounced may still be reported once.
func (w *Watcher) Remove(path string) {
	path, err := filepath.Abs(path)
	if err != nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	f, ok := w.files[path]
	if !ok || w.closed {
		return
	}
	if f.timer != nil {
		f.timer.Stop()
	}
	delete(w.files, path)
	dir := filepath.Dir(path)
	if w.dirs[dir]--; w.dirs[dir] <= 0 {
		delete(w.dirs, dir)
		_ = w.fs.Remove(dir) // the directory may be gone already
	}
}

// Close stops watching everything and waits for the event loop to end. Pending changes are dropped.
func (w *Watcher) Close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil
	}
	w.closed = true
	for _, f := range w.files {
		if f.timer != nil {
			f.timer.Stop()
		}
	}
	w.mu.Unlock()
	err := w.fs.Close()
	<-w.done
	return err
}

func (w *Watcher) loop() {
	defer close(w.done)
	for {
		select {
		case ev, ok := <-w.fs.Events:
			if !ok {
				return
			}
			if ev.Has(fsnotify.Write) || ev.Has(fsnotify.Create) {
				w.touch(filepath.Clean(ev.Name))
			}
		case err, ok := <-w.fs.Errors:
			if !ok {
				return
			}
			if w.opts.OnError != nil {
				w.opts.OnError(fmt.Errorf("watch: %w", err))
			}
		}
	}
}

// touch (re)arms path's debounce timer if path is watched.
func (w *Watcher) touch(path string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	f, ok := w.files[path]
	if !ok || w.closed {
		return
	}
	if f.timer != nil {
		f.timer.Reset(w.opts.Delay)
		return
	}
	f.timer = time.AfterFunc(w.opts.Delay, func() {
		w.mu.Lock()
		live := !w.closed && w.files[path] == f
		w.mu.Unlock()
		if !live {
			return
		}
		f.running.Lock()
		defer f.running.Unlock()
		w.opts.OnChange(path)
	})
}
