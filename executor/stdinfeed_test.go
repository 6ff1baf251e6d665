package executor

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// readLine reads up to and including the next "\n" from r, failing the test after 5s.
func readLine(t *testing.T, r io.Reader) string {
	t.Helper()
	got := make(chan string, 1)
	go func() {
		var b []byte
		one := make([]byte, 1)
		for {
			n, err := r.Read(one)
			b = append(b, one[:n]...)
			if err != nil || (n == 1 && one[0] == '\n') {
				got <- string(b)
				return
			}
		}
	}()
	select {
	case s := <-got:
		return s
	case <-time.After(2 * time.Minute): // a hang only: the feed's copier may wait for a core
		t.Fatal("no line within 2 minutes")
		return ""
	}
}

func TestStdinFeedOrderAndEOF(t *testing.T) {
	f := NewStdinFeed()
	defer f.Close()
	for _, s := range []string{"one\n", "", "two\n"} {
		if err := f.Feed([]byte(s), false); err != nil {
			t.Fatalf("Feed(%q): %v", s, err)
		}
	}
	if got := readLine(t, f.Reader()); got != "one\n" {
		t.Errorf("first line %q, want %q", got, "one\n")
	}
	if err := f.Feed([]byte("three\n"), true); err != nil {
		t.Fatalf("Feed with eof: %v", err)
	}
	rest, err := io.ReadAll(f.Reader())
	if err != nil {
		t.Fatalf("ReadAll after eof: %v", err)
	}
	if diff := cmp.Diff("two\nthree\n", string(rest)); diff != "" {
		t.Errorf("rest (-want +got):\n%s", diff)
	}
	if err := f.Feed([]byte("late"), false); !errors.Is(err, ErrStdinEnded) {
		t.Errorf("Feed after eof: %v, want ErrStdinEnded", err)
	}
}

// TestStdinFeedNeverBlocks: nobody reads; Feed queues up to the backlog bound without blocking,
// then refuses; Close unblocks everything and later Feeds say the run ended.
func TestStdinFeedNeverBlocks(t *testing.T) {
	f := NewStdinFeed()
	chunk := bytes.Repeat([]byte("x"), 64<<10)
	for i := 0; i < MaxStdinBacklog/len(chunk); i++ {
		if err := f.Feed(chunk, false); err != nil {
			t.Fatalf("Feed #%d: %v", i, err)
		}
	}
	if err := f.Feed([]byte("y"), false); !errors.Is(err, ErrStdinBacklog) {
		t.Errorf("Feed past the backlog: %v, want ErrStdinBacklog", err)
	}
	// Reading frees room again.
	buf := make([]byte, 2*len(chunk))
	if _, err := io.ReadFull(f.Reader(), buf); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute) // a hang only
	for f.Backlog() > MaxStdinBacklog-len(chunk) && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if err := f.Feed([]byte("y"), false); err != nil {
		t.Errorf("Feed after the program read 128 KiB: %v", err)
	}
	f.Close()
	f.Close()
	if _, err := f.Reader().Read(buf); err == nil {
		t.Error("Read after Close succeeded")
	}
	if err := f.Feed([]byte("z"), false); !errors.Is(err, ErrStdinClosed) {
		t.Errorf("Feed after Close: %v, want ErrStdinClosed", err)
	}
}
