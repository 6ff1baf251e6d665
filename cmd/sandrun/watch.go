package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/languages"
	"github.com/sandrun/sandrun/lsp/watch"
)

// watchCmd runs a file, then runs it again every time it is saved, until Ctrl-C (exit 130) or
// SIGTERM (143). A save while a run is still going stops that run and starts a new one.
func watchCmd(ctx context.Context, args []string) error {
	var clear *bool
	inv, err := parseRunInvocation("watch", "usage: sandrun watch [flags] FILE [-- ARGS…]\n\nRuns FILE, then again every time it changes on disk; Ctrl-C stops (exit 130). Flags as for \"sandrun run\":",
		args, func(fs *flag.FlagSet) { clear = fs.Bool("clear", false, "clear the terminal before each run") })
	if inv == nil || err != nil {
		return err
	}
	if inv.file == "-" {
		return usageError("watch needs a file on disk to watch; - (source on stdin) works with \"sandrun run\" only")
	}
	ex, closeEx, err := inv.flags.open(ctx)
	if err != nil {
		return err
	}
	defer closeEx()
	if !inv.flags.json && sameFile(os.Stdout, os.Stderr) {
		inv.req.MergeOutput = true // as for run: "2>&1" or a terminal keeps the written order
	}
	w := watcher{ex: ex, set: inv.set, file: inv.file, lang: inv.flags.lang, with: inv.flags.with, base: inv.req, json: inv.flags.json, clear: *clear,
		stdout: os.Stdout, stderr: os.Stderr}
	if err := w.watch(ctx, 0); err != nil {
		return err
	}
	// Ended by Ctrl-C (or SIGTERM): 128+signal, as for run (README, "Exit codes").
	var sig stopSignal
	if errors.As(context.Cause(ctx), &sig) {
		return exitError{128 + int(sig.sig)}
	}
	return nil
}

// watcher runs one file on every change.
type watcher struct {
	ex     executor.Executor
	set    *languages.Set
	file   string
	lang   string           // --lang
	with   []string         // --with: more files, read (and watched) as FILE is
	base   executor.Request // stdin, args and limits of every run (stdin is read once)
	json   bool
	clear  bool
	stdout io.Writer
	stderr io.Writer
}

// watch runs the file now and after every change (debounced by delay; 0 means the default)
// until ctx ends.
func (w *watcher) watch(ctx context.Context, delay time.Duration) error {
	changes := make(chan struct{}, 1)
	fw, err := watch.New(watch.Options{
		Delay: delay,
		OnChange: func(string) {
			select {
			case changes <- struct{}{}:
			default: // a change is already pending
			}
		},
		OnError: func(err error) { fmt.Fprintf(w.stderr, "sandrun watch: %v\n", err) },
	})
	if err != nil {
		return err
	}
	defer fw.Close()
	for _, f := range append([]string{w.file}, w.with...) {
		if err := fw.Add(f); err != nil {
			return err
		}
	}
	return w.loop(ctx, changes)
}

// loop runs the file, then again on each value from changes, until ctx ends (nil error).
func (w *watcher) loop(ctx context.Context, changes <-chan struct{}) error {
	for n := 1; ; n++ {
		changed := w.runOnce(ctx, n, changes)
		if ctx.Err() != nil {
			return nil
		}
		if changed {
			continue // the file changed during the run: run the new version at once
		}
		if !w.json && n == 1 { // once: every run after says which run it is
			fmt.Fprintf(w.stderr, "sandrun: watching %s for changes (Ctrl-C to stop)\n", w.file)
		}
		select {
		case <-changes:
		case <-ctx.Done():
			return nil
		}
	}
}

// runOnce reads the file and runs it as run number n. It reports whether the file changed
// before the run ended (the run is stopped then).
func (w *watcher) runOnce(ctx context.Context, n int, changes <-chan struct{}) (changed bool) {
	lang, src, err := readSource(w.set, w.file, w.lang)
	if err != nil {
		fmt.Fprintf(w.stderr, "sandrun: %v; waiting for the next change\n", err)
		return false
	}
	extra, err := readWith(w.file, src.Name, w.with)
	if err != nil {
		fmt.Fprintf(w.stderr, "sandrun: %v; waiting for the next change\n", err)
		return false
	}
	req := w.base
	req.Language, req.Files = lang.ID, append([]executor.File{src}, extra...)
	if w.clear && !w.json {
		fmt.Fprint(w.stdout, "\x1b[H\x1b[2J")
	}
	if !w.json {
		fmt.Fprintf(w.stderr, "── %s · %s · run %d · %s ──\n", filepath.Base(w.file), lang.Name, n, time.Now().Format("15:04:05"))
	}
	var onEvent func(executor.Event)
	midLine := false // the output so far does not end with a newline
	if !w.json {
		onEvent = func(ev executor.Event) {
			out := w.stdout
			if ev.Stream == executor.Stderr || ev.Stage == executor.StageCompile {
				out = w.stderr
			}
			if len(ev.Data) > 0 {
				out.Write(ev.Data)
				midLine = ev.Data[len(ev.Data)-1] != '\n'
			}
		}
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	type outcome struct {
		res executor.Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := w.ex.Run(runCtx, req, onEvent)
		done <- outcome{res, err}
	}()
	var o outcome
	finish := func(out outcome) {
		o = out
		if midLine { // end the program's last line before a status line
			fmt.Fprintln(w.stderr)
		}
	}
	select {
	case out := <-done:
		finish(out)
	case <-changes:
		cancel()
		finish(<-done)
		fmt.Fprintf(w.stderr, "── stopped: %s changed ──\n", filepath.Base(w.file))
		return true
	case <-ctx.Done():
		cancel()
		finish(<-done)
		fmt.Fprintln(w.stderr, "── stopped ──")
		return false
	}
	switch {
	case o.err != nil:
		fmt.Fprintf(w.stderr, "sandrun: %v\n", o.err)
	case w.json:
		enc := json.NewEncoder(w.stdout)
		enc.SetEscapeHTML(false)
		enc.Encode(o.res)
	case o.res.Status == executor.StatusOK:
		fmt.Fprintf(w.stderr, "── ok · %s ──\n", resourceLine(o.res))
	default:
		if line, ok := compileErrorLine(o.res, compilerOf(lang.ID)); ok {
			fmt.Fprintf(w.stderr, "── %s ──\n", line)
			break
		}
		fmt.Fprintf(w.stderr, "── %s: %s · %s ──\n", o.res.Status, o.res.Message, resourceLine(o.res))
	}
	return false
}
