package executortest

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sandrun/sandrun/executor"
)

// testInteractive: with a StdinStream the program reads Request.Stdin first, then input sent
// while it runs, and answers each line before the next is sent; eof ends its stdin.
func testInteractive(t *testing.T, ex executor.Executor) {
	prog := `name = input()
print(f"hello {name}", flush=True)
age = input("age? ")
print(f"{name} is {age}", flush=True)
try:
    input("colour? ")
except EOFError:
    print("no colour")
`
	req := source("python", "main.py", prog)
	req.Stdin = []byte("Ada\n")
	feed := executor.NewStdinFeed()
	defer feed.Close()
	req.StdinStream = feed.Reader()

	var outMu sync.Mutex
	var out strings.Builder
	grew := make(chan struct{}, 1)
	type end struct {
		res executor.Result
		err error
	}
	done := make(chan end, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	go func() {
		res, err := ex.Run(ctx, req, func(ev executor.Event) {
			if ev.Stream != executor.Stdout {
				return
			}
			outMu.Lock()
			out.Write(ev.Data)
			outMu.Unlock()
			select {
			case grew <- struct{}{}:
			default:
			}
		})
		done <- end{res, err}
	}()
	// waitOut waits until the streamed stdout ends with suffix.
	waitOut := func(suffix string) {
		t.Helper()
		for {
			outMu.Lock()
			got := out.String()
			outMu.Unlock()
			if strings.HasSuffix(got, suffix) {
				return
			}
			select {
			case <-grew:
			case e := <-done:
				t.Fatalf("the run ended (%+v, %v) with stdout %q before printing %q", e.res, e.err, got, suffix)
			case <-ctx.Done():
				t.Fatalf("stdout %q after 60s, waiting for %q", got, suffix)
			}
		}
	}
	waitOut("hello Ada\nage? ")
	if err := feed.Feed([]byte("36\n"), false); err != nil {
		t.Fatal(err)
	}
	waitOut("Ada is 36\ncolour? ")
	if err := feed.Feed(nil, true); err != nil {
		t.Fatal(err)
	}
	var e end
	select {
	case e = <-done:
	case <-ctx.Done():
		t.Fatal("the run did not end within 60s of eof")
	}
	if e.err != nil {
		t.Fatalf("Run: %v", e.err)
	}
	if diff := cmp.Diff("hello Ada\nage? Ada is 36\ncolour? no colour\n", e.res.Stdout); diff != "" || e.res.Status != executor.StatusOK {
		t.Errorf("status %s, stdout (-want +got):\n%s", e.res.Status, diff)
	}
}
