package watch

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// recorder collects OnChange calls.
type recorder chan string

func (r recorder) next(t *testing.T) string {
	t.Helper()
	select {
	case p := <-r:
		return p
	case <-time.After(time.Minute):
		t.Fatal("no change reported within a minute")
		return ""
	}
}

// none asserts that nothing more is reported within d.
func (r recorder) none(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case p := <-r:
		t.Fatalf("unexpected change reported for %s", p)
	case <-time.After(d):
	}
}

func newWatcher(t *testing.T, delay time.Duration) (*Watcher, recorder) {
	t.Helper()
	rec := make(recorder, 16)
	w, err := New(Options{Delay: delay, OnChange: func(p string) { rec <- p }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w, rec
}

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestChanges(t *testing.T) {
	tests := []struct {
		name   string
		change func(t *testing.T, path string)
	}{
		{"write in place", func(t *testing.T, path string) { write(t, path, "print(2)\n") }},
		{"atomic rename", func(t *testing.T, path string) {
			tmp := path + ".tmp~"
			write(t, tmp, "print(3)\n")
			if err := os.Rename(tmp, path); err != nil {
				t.Fatal(err)
			}
		}},
		{"delete then create", func(t *testing.T, path string) {
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
			write(t, path, "print(4)\n")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "main.py")
			write(t, path, "print(1)\n")
			w, rec := newWatcher(t, 50*time.Millisecond)
			if err := w.Add(path); err != nil {
				t.Fatal(err)
			}
			tt.change(t, path)
			if got := rec.next(t); got != path {
				t.Errorf("changed path = %q, want %q", got, path)
			}
			// The same file keeps being watched after its inode changed.
			write(t, path, "print(5)\n")
			if got := rec.next(t); got != path {
				t.Errorf("second change: path = %q, want %q", got, path)
			}
		})
	}
}

func TestDebounceAndFilter(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "main.py")
	other := filepath.Join(dir, "other.py")
	write(t, path, "")
	// The five writes below must fall within one delay: 300 ms was not a sure thing when the
	// test's goroutine can wait that long for a core on a loaded machine.
	w, rec := newWatcher(t, 2*time.Second)
	if err := w.Add(path); err != nil {
		t.Fatal(err)
	}
	if err := w.Add(path); err != nil { // twice is a no-op
		t.Fatal(err)
	}
	for i := range 5 {
		write(t, path, string(rune('a'+i)))
	}
	write(t, other, "x") // not watched
	if got := rec.next(t); got != path {
		t.Fatalf("changed path = %q, want %q", got, path)
	}
	rec.none(t, time.Second)

	w.Remove(path)
	write(t, path, "after remove")
	rec.none(t, time.Second)
}

func TestAddMissingDir(t *testing.T) {
	w, _ := newWatcher(t, 0)
	err := w.Add(filepath.Join(t.TempDir(), "nope", "main.py"))
	if err == nil {
		t.Fatal("Add in a missing directory: want an error, got nil")
	}
}

func TestCloseStopsReports(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "main.py")
	w, rec := newWatcher(t, 50*time.Millisecond)
	if err := w.Add(path); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	write(t, path, "x")
	rec.none(t, 500*time.Millisecond)
	if err := w.Add(path); err == nil {
		t.Error("Add after Close: want an error, got nil")
	}
}
