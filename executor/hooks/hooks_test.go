package hooks_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/executor/hooks"
)

// echo is an executor that answers each run with its source as stdout and remembers the
// requests it saw.
type echo struct {
	mu   sync.Mutex
	seen []executor.Request
}

func (e *echo) Run(ctx context.Context, req executor.Request, _ func(executor.Event)) (executor.Result, error) {
	e.mu.Lock()
	e.seen = append(e.seen, req)
	e.mu.Unlock()
	return executor.Result{Language: req.Language, Status: executor.StatusOK, Stdout: string(req.Files[0].Content)}, nil
}
func (e *echo) Languages(context.Context) ([]executor.LanguageInfo, error) { return nil, nil }
func (e *echo) Capacity(context.Context) (executor.Capacity, error)        { return executor.Capacity{}, nil }

func py(src string) executor.Request {
	return executor.Request{Language: "python", Files: []executor.File{{Name: "main.py", Content: []byte(src)}}}
}

func TestPreRefusesAndChanges(t *testing.T) {
	next := &echo{}
	var posted []hooks.Done
	refuse := func(_ context.Context, j *hooks.Job) error {
		if strings.Contains(string(j.Request.Files[0].Content), "forbidden") {
			return hooks.Refuse("no forbidden words here")
		}
		return nil
	}
	tighten := func(_ context.Context, j *hooks.Job) error {
		j.Request.Limits.CPUTimeMs = 100
		j.Tags = map[string]string{"tightened": "yes"}
		return nil
	}
	c := hooks.New(next, []hooks.Pre{refuse, tighten}, []hooks.Post{func(d hooks.Done) { posted = append(posted, d) }})
	_, err := c.Run(context.Background(), py("print('forbidden')"), nil)
	if !errors.Is(err, executor.ErrRefused) || err.Error() != "no forbidden words here" {
		t.Fatalf("Run = %v, want the refusal", err)
	}
	res, err := c.Run(context.Background(), py("print(1)"), nil)
	if err != nil || res.Stdout != "print(1)" {
		t.Fatalf("Run = %+v, %v", res, err)
	}
	c.Close()
	if len(next.seen) != 1 || next.seen[0].Limits.CPUTimeMs != 100 {
		t.Fatalf("the executor saw %+v, want one request with the CPU limit the hook set", next.seen)
	}
	if len(posted) != 2 || !errors.Is(posted[0].Err, executor.ErrRefused) || posted[1].Tags["tightened"] != "yes" || posted[0].ID == posted[1].ID {
		t.Fatalf("post hooks saw %+v", posted)
	}
}

func TestPostOncePerJobUnderBurst(t *testing.T) {
	var mu sync.Mutex
	ids := map[string]int{}
	c := hooks.New(&echo{}, nil, []hooks.Post{func(d hooks.Done) { mu.Lock(); ids[d.ID]++; mu.Unlock() }})
	var wg sync.WaitGroup
	for range 100 {
		wg.Add(1)
		go func() { defer wg.Done(); c.Run(context.Background(), py("x"), nil) }()
	}
	wg.Wait()
	c.Close()
	if len(ids) != 100 {
		t.Fatalf("post hooks saw %d jobs, want 100", len(ids))
	}
	for id, n := range ids {
		if n != 1 {
			t.Errorf("job %s posted %d times", id, n)
		}
	}
}

func writeScript(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "hook.sh")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// A pre hook in shell, as docs/hooks.md shows it: it reads the job, refuses one word, and lowers
// the CPU limit of everything else.
func TestProgramPre(t *testing.T) {
	hook := writeScript(t, `job=$(cat)
case "$job" in *forbidden*) echo "sources may not say forbidden" >&2; echo "second line" >&2; exit 1;; esac
printf '%s' "$job" | python3 -c 'import json,sys; j=json.load(sys.stdin); r=j["request"]; r["limits"]["cpu_time_ms"]=250; r["tags"]={"hook":j["phase"]}; print(json.dumps(r))'
`)
	next := &echo{}
	var tags map[string]string
	c := hooks.New(next, []hooks.Pre{hooks.ProgramPre(hook)}, []hooks.Post{func(d hooks.Done) { tags = d.Tags }})
	_, err := c.Run(context.Background(), py("print('forbidden')"), nil)
	var re *executor.RefusedError
	if !errors.As(err, &re) || re.Msg != "sources may not say forbidden" {
		t.Fatalf("Run = %v, want the hook's first stderr line as a refusal", err)
	}
	req := py("print('héllo')")
	req.Stdin = []byte("in\n")
	res, err := c.Run(context.Background(), req, nil)
	if err != nil || res.Stdout != "print('héllo')" {
		t.Fatalf("Run = %+v, %v", res, err)
	}
	c.Close()
	got := next.seen[0]
	if got.Limits.CPUTimeMs != 250 || string(got.Stdin) != "in\n" || string(got.Files[0].Content) != "print('héllo')" {
		t.Fatalf("the executor saw %+v, want the hook's CPU limit and the same source and stdin", got)
	}
	if tags["hook"] != "pre" {
		t.Fatalf("tags %v, want the hook's", tags)
	}
}

func TestProgramPostSeesResult(t *testing.T) {
	out := filepath.Join(t.TempDir(), "post.json")
	hook := writeScript(t, "cat > "+out+"\n")
	c := hooks.New(&echo{}, nil, []hooks.Post{hooks.ProgramPost(hook, t.Logf)})
	c.Run(context.Background(), py("print(2)"), nil)
	c.Close()
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var in struct {
		Phase   string `json:"phase"`
		Request struct {
			Files []struct{ Content string } `json:"files"`
		} `json:"request"`
		Result executor.Result `json:"result"`
	}
	if err := json.Unmarshal(b, &in); err != nil {
		t.Fatal(err)
	}
	if in.Phase != "post" || in.Request.Files[0].Content != "print(2)" || in.Result.Status != executor.StatusOK {
		t.Fatalf("the post hook read %s", b)
	}
}

// Every job reaches the webhook once, signed, although its first delivery fails.
func TestWebhook(t *testing.T) {
	secret := []byte("s3cret-s3cret-s3cret")
	var failed atomic.Bool
	var mu sync.Mutex
	got := map[string]int{}
	var bad atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Header.Get(hooks.SignatureHeader) != hooks.Sign(secret, body) {
			bad.Add(1)
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		if !failed.Swap(true) {
			http.Error(w, "down for a moment", http.StatusServiceUnavailable)
			return
		}
		var ev hooks.WebhookEvent
		json.Unmarshal(body, &ev)
		mu.Lock()
		got[ev.ID]++
		mu.Unlock()
	}))
	defer srv.Close()
	wh := hooks.NewWebhook(srv.URL, secret, t.Logf)
	wh.FirstDelay = 10 * time.Millisecond
	c := hooks.New(&echo{}, nil, []hooks.Post{wh.Post})
	for range 20 {
		c.Run(context.Background(), py("x"), nil)
	}
	c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // a hang only
	defer cancel()
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n == 20 || ctx.Err() != nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	wh.Close(ctx)
	if len(got) != 20 || bad.Load() != 0 {
		t.Fatalf("the receiver got %d jobs (%d with a bad signature), want 20", len(got), bad.Load())
	}
	for id, n := range got {
		if n != 1 {
			t.Errorf("job %s delivered %d times", id, n)
		}
	}
}

// TestNestedChainsShareTheID: a job keeps one id through nested chains, and WithID names it.
func TestNestedChainsShareTheID(t *testing.T) {
	var mu sync.Mutex
	var ids []string
	record := func(d hooks.Done) { mu.Lock(); ids = append(ids, d.ID+" "+d.Client); mu.Unlock() }
	inner := hooks.New(&echo{}, nil, []hooks.Post{record})
	outer := hooks.New(inner, nil, []hooks.Post{record})
	ctx := hooks.WithClient(hooks.WithID(context.Background(), "job-1"), "203.0.113.7")
	if _, err := outer.Run(ctx, py("1"), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := outer.Run(context.Background(), py("1"), nil); err != nil {
		t.Fatal(err)
	}
	outer.Close()
	inner.Close()
	// Each chain's post hooks run on its own goroutine: count, not order.
	count := map[string]int{}
	for _, id := range ids {
		count[id]++
	}
	if len(ids) != 4 || len(count) != 2 || count["job-1 203.0.113.7"] != 2 {
		t.Errorf("post hooks of nested chains saw %q; want job-1 twice and one new id twice", ids)
	}
}

// TestAdmit: Admit runs the pre hooks of a chain and of the chain it wraps once, ahead of the
// run; Run under Admitted runs the admitted request without them, and the post hooks see the
// job's tags; a refusal at Admit reaches the post hooks of both chains once.
func TestAdmit(t *testing.T) {
	next := &echo{}
	var mu sync.Mutex
	pres := map[string]int{}
	var innerDone, outerDone []hooks.Done
	pre := func(name string) hooks.Pre {
		return func(_ context.Context, j *hooks.Job) error {
			mu.Lock()
			pres[name]++
			mu.Unlock()
			if strings.Contains(string(j.Request.Files[0].Content), "forbidden") {
				return hooks.Refuse("no forbidden words here")
			}
			j.Request.Files[0].Content = append(j.Request.Files[0].Content, []byte(" +"+name)...)
			j.Tags = map[string]string{"by": name}
			return nil
		}
	}
	inner := hooks.New(next, []hooks.Pre{pre("inner")}, []hooks.Post{func(d hooks.Done) { innerDone = append(innerDone, d) }})
	outer := hooks.New(inner, []hooks.Pre{pre("outer")}, []hooks.Post{func(d hooks.Done) { outerDone = append(outerDone, d) }})

	ctx := context.Background()
	job, err := outer.Admit(ctx, hooks.Job{ID: "j1", Request: py("print(1)")})
	if err != nil {
		t.Fatal(err)
	}
	res, err := outer.Run(outer.Admitted(hooks.WithID(ctx, "j1"), job), job.Request, nil)
	if err != nil || res.Stdout != "print(1) +outer +inner" {
		t.Fatalf("Run after Admit = %q, %v; want the request both pre hooks left", res.Stdout, err)
	}
	if _, err := outer.Admit(ctx, hooks.Job{ID: "j2", Request: py("forbidden")}); !errors.Is(err, executor.ErrRefused) {
		t.Fatalf("Admit of a forbidden source = %v, want the refusal", err)
	}
	outer.Close()
	inner.Close()
	if pres["outer"] != 2 || pres["inner"] != 1 {
		t.Errorf("pre hooks ran %v, want outer twice (two jobs) and inner once (the forbidden one stopped at outer)", pres)
	}
	if len(outerDone) != 2 || outerDone[0].Tags["by"] != "inner" || outerDone[0].Result.Stdout == "" || !hooks.IsRefused(outerDone[1].Err) {
		t.Errorf("the outer post hooks saw %+v", outerDone)
	}
	if len(innerDone) != 1 || innerDone[0].Tags["by"] != "inner" {
		t.Errorf("the inner post hooks saw %+v", innerDone)
	}
}

// TestDeferredReport: a run under Deferred queues nothing for the post hooks of any nested
// chain; Report then hands the job to the post hooks of both, once.
func TestDeferredReport(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	record := func(name string) hooks.Post {
		return func(d hooks.Done) { mu.Lock(); seen = append(seen, name+" "+d.ID+" "+d.Result.Stdout); mu.Unlock() }
	}
	inner := hooks.New(&echo{}, nil, []hooks.Post{record("inner")})
	outer := hooks.New(inner, nil, []hooks.Post{record("outer")})
	ctx := hooks.Deferred(hooks.WithID(context.Background(), "j1"), "j1")
	res, err := outer.Run(ctx, py("print(1)"), nil)
	if err != nil || res.Stdout != "print(1)" {
		t.Fatalf("Run = %+v, %v", res, err)
	}
	// Another job's run is not deferred by a mark naming j1.
	if _, err := outer.Run(hooks.Deferred(hooks.WithID(context.Background(), "j2"), "j1"), py("2"), nil); err != nil {
		t.Fatal(err)
	}
	outer.Report(hooks.Done{Job: hooks.Job{ID: "j1", Request: py("print(1)")}, Result: res})
	outer.Close()
	inner.Close()
	count := map[string]int{}
	for _, s := range seen {
		count[s]++
	}
	if len(seen) != 4 || count["inner j1 print(1)"] != 1 || count["outer j1 print(1)"] != 1 || count["inner j2 2"] != 1 {
		t.Errorf("post hooks saw %q; want j1 once per chain (reported) and j2 once per chain (run)", seen)
	}
}
