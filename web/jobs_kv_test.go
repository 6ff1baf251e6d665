package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/executor/executortest"
	"github.com/sandrun/sandrun/executor/fleet"
	"github.com/sandrun/sandrun/executor/hooks"
)

// testFleet is an embedded NATS server with JetStream on store, one worker over ex, and a
// client that sees the worker. stop ends them all (the test's cleanup does too).
func testFleet(t *testing.T, store string, ex *executortest.Fake) (*fleet.Client, func()) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // a hang only
	defer cancel()
	// A small max_payload, so that a Result of a few hundred KiB goes to the blob store.
	emb, err := fleet.StartEmbedded(fleet.EmbeddedOptions{Listen: "127.0.0.1:0", StoreDir: store, MaxPayload: 256 << 10})
	if err != nil {
		t.Fatal(err)
	}
	w, err := fleet.NewWorker(ctx, fleet.WorkerOptions{Conn: fleet.ConnOptions{URL: emb.URL()}, Executor: ex, Slots: 2, Host: "test"})
	if err != nil {
		emb.Close()
		t.Fatal(err)
	}
	wctx, stopWorker := context.WithCancel(context.Background())
	workerDone := make(chan struct{})
	go func() { defer close(workerDone); _ = w.Serve(wctx) }()
	c, err := fleet.Dial(ctx, fleet.ClientOptions{Conn: fleet.ConnOptions{URL: emb.URL()}})
	if err != nil {
		t.Fatal(err)
	}
	for ctx.Err() == nil { // until the client sees the worker
		if infos, _ := c.Languages(ctx); hasLanguage(infos, "python") {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		c.Close()
		stopWorker()
		<-workerDone
		emb.Close()
	}
	t.Cleanup(stop)
	return c, stop
}

func hasLanguage[T interface{ ~[]E }, E any](infos T, id string) bool {
	b, _ := json.Marshal(infos)
	return strings.Contains(string(b), `"id":"`+id+`"`) && strings.Contains(string(b), `"available":true`)
}

// getJob GETs a job (waiting for its end when wait) and decodes it.
func getJob(t *testing.T, s http.Handler, id string, wait bool) (int, JobView) {
	t.Helper()
	target := "/api/v1/jobs/" + id
	if wait {
		target += "?wait=true"
	}
	w := do(t, s, "GET", target, "")
	var v JobView
	if w.Code == 200 {
		if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
			t.Fatalf("GET %s: %v: %s", target, err, w.Body)
		}
	}
	return w.Code, v
}

// TestJobsInFleetStore: with a fleet, jobs live in its key-value store: another server of the
// fleet answers for them, a Result larger than one NATS message survives, a server that stops
// ends its jobs with a sentence, a job whose server vanished is ended by the next reader, and
// everything outlives a restart of the NATS server on the same store.
func TestJobsInFleetStore(t *testing.T) {
	store := t.TempDir()
	fake := newFake(nil)
	fake.Slots, fake.Queue = 0, 0
	c, stop := testFleet(t, store, fake)
	called := make(chan JobView, 8)
	cb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var v JobView
		json.NewDecoder(r.Body).Decode(&v)
		called <- v
	}))
	defer cb.Close()
	allow := []string{strings.TrimPrefix(cb.URL, "http://")}
	// Each server has an operator's post hook (a chain around the fleet's client).
	var postMu sync.Mutex
	posted := map[string][]hooks.Done{} // by server
	postHook := func(server string) hooks.Post {
		return func(d hooks.Done) { postMu.Lock(); posted[server] = append(posted[server], d); postMu.Unlock() }
	}
	aChain, bChain := hooks.New(c, nil, []hooks.Post{postHook("a")}), hooks.New(c, nil, []hooks.Post{postHook("b")})
	t.Cleanup(func() { aChain.Close(); bChain.Close() })
	postsOf := func(server, id string) []hooks.Done {
		postMu.Lock()
		defer postMu.Unlock()
		var out []hooks.Done
		for _, d := range posted[server] {
			if d.ID == id {
				out = append(out, d)
			}
		}
		return out
	}
	a := newTestServer(t, aChain, Options{Fleet: c, CallbackAllow: allow})
	b := newTestServer(t, bChain, Options{Fleet: c})
	bucket, err := c.OpenBucket(t.Context(), jobsBucket, DefaultJobTTL)
	if err != nil {
		t.Fatal(err)
	}

	submit := func(s http.Handler, body string) string {
		t.Helper()
		w := do(t, s, "POST", "/api/v1/jobs", body)
		var v JobView
		if err := json.Unmarshal(w.Body.Bytes(), &v); w.Code != http.StatusAccepted || err != nil || v.ID == "" {
			t.Fatalf("POST /api/v1/jobs: %d %s", w.Code, w.Body)
		}
		return v.ID
	}
	small := submit(a, `{"language":"python","source":"out hello"}`)
	if code, v := getJob(t, a, small, true); code != 200 || v.State != JobDone || v.Result == nil || v.Result.Stdout != "hello\n" {
		t.Fatalf("the job on its own server: %d %+v", code, v)
	}
	if code, v := getJob(t, b, small, false); code != 200 || v.State != JobDone || v.Result == nil || v.Result.Stdout != "hello\n" {
		t.Errorf("the job on another server: %d %+v", code, v)
	}

	// 100 events of 4 KiB: a Result of 400 KiB, in the blob store. Waited for on the other server.
	big := submit(a, `{"language":"python","source":"spam 100"}`)
	if code, v := getJob(t, b, big, true); code != 200 || v.Result == nil || len(v.Result.Stdout) != 100*4096 {
		t.Fatalf("a large Result on another server: %d %+v", code, v.State)
	}
	w := do(t, b, "POST", "/judge0/submissions?base64_encoded=false", `{"source_code":"out judged","language_id":71,"stdin":"in"}`)
	var tok j0
	if err := json.Unmarshal(w.Body.Bytes(), &tok); w.Code != http.StatusCreated || err != nil || tok.Token == "" {
		t.Fatalf("POST /judge0/submissions: %d %s", w.Code, w.Body)
	}
	getJob(t, b, tok.Token, true)

	untilRunning := func(id string) {
		t.Helper()
		for ctx := t.Context(); ; {
			if _, v := getJob(t, b, id, false); v.State == JobRunning {
				return
			}
			select {
			case <-ctx.Done():
				t.Fatal("the job never ran")
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	// DELETE on another server cancels the job where it runs.
	canceled := submit(a, `{"language":"python","source":"block"}`)
	untilRunning(canceled)
	w = do(t, b, "DELETE", "/api/v1/jobs/"+canceled, "")
	var cv JobView
	if err := json.Unmarshal(w.Body.Bytes(), &cv); w.Code != 200 || err != nil || cv.State != JobDone || !strings.Contains(cv.Error, "cancel") {
		t.Errorf("DELETE on another server: %d %s", w.Code, w.Body)
	}

	// A server that stops lets go of the job the fleet runs for it: the other server takes it
	// over, follows it to its end and sends its callback.
	running := submit(a, `{"language":"python","source":"gate\nout after","callback_url":"`+cb.URL+`"}`)
	for ctx := t.Context(); ; { // until the record says where the fleet's stream holds it
		e, err := bucket.Get(ctx, jobKey(running))
		var rec jobRecord
		if err == nil && json.Unmarshal(e.Value, &rec) == nil && rec.Seq != 0 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("the job never reached the fleet")
		case <-time.After(20 * time.Millisecond):
		}
	}
	a.Close()
	aChain.Close() // a's post hooks ran
	if code, v := getJob(t, b, running, false); code != 200 || v.State != JobRunning {
		t.Errorf("a running job of a stopped server: %d %+v; want it still running", code, v)
	}
	close(fake.Gate)
	if code, v := getJob(t, b, running, true); code != 200 || v.State != JobDone || v.Result == nil || v.Result.Stdout != "after\n" {
		t.Errorf("a job taken over: %d %+v; want the fleet's Result", code, v)
	}
	select {
	case v := <-called:
		if v.ID != running || v.Result == nil || v.Result.Stdout != "after\n" {
			t.Errorf("the callback of a job taken over: %+v", v)
		}
	case <-t.Context().Done():
		t.Fatal("no callback for the job taken over")
	}

	// A job whose server vanished without a word (killed): the next reader ends it.
	ghost := jobRecord{ID: "0123456789abcdef", State: JobRunning, Owner: "vanished", Created: time.Now().UTC()}
	if _, err := bucket.Create(t.Context(), jobKey(ghost.ID), mustJSON(ghost)); err != nil {
		t.Fatal(err)
	}
	if code, v := getJob(t, b, ghost.ID, true); code != 200 || v.State != JobDone || v.Error != errServerGone {
		t.Errorf("a job of a vanished server: %d %+v", code, v)
	}
	b.Close()
	bChain.Close() // b's post hooks ran
	// Each job reached the post hooks once, from the server that recorded its end: the one
	// handed over by a stopping server from the one that took it over, with the fleet's Result.
	for _, want := range []struct {
		server, id, stdout, err string
		canceled                bool
	}{
		{"a", small, "hello\n", "", false},
		{"a", canceled, "", "cancel", true},
		{"b", running, "after\n", "", false},
		{"b", ghost.ID, "", errServerGone, false},
	} {
		other := map[string]string{"a": "b", "b": "a"}[want.server]
		got := postsOf(want.server, want.id)
		switch {
		case len(got) != 1 || len(postsOf(other, want.id)) != 0:
			t.Errorf("post hooks of job %s: %s saw %+v, %s saw %+v; want it once, on %s", want.id, want.server, got, other, postsOf(other, want.id), want.server)
		case want.err == "" && (got[0].Err != nil || got[0].Result.Stdout != want.stdout || got[0].Canceled):
			t.Errorf("post hook of job %s: %+v; want its Result", want.id, got[0])
		case want.err != "" && (got[0].Err == nil || !strings.Contains(got[0].Err.Error(), want.err) || got[0].Canceled != want.canceled):
			t.Errorf("post hook of job %s: %+v; want the error %q (canceled %v)", want.id, got[0], want.err, want.canceled)
		}
	}
	if got := postsOf("b", running); len(got) == 1 && (got[0].Request.Language != "python" || got[0].Client == "") {
		t.Errorf("the job taken over reached b's post hooks as %+v; want its request and client from a", got[0].Job)
	}
	stop()

	// The NATS server restarts on the same store; a new web server answers for every job.
	c, _ = testFleet(t, store, newFake(nil))
	s := newTestServer(t, c, Options{Fleet: c})
	if code, v := getJob(t, s, small, false); code != 200 || v.Result == nil || v.Result.Stdout != "hello\n" {
		t.Errorf("after the restart: %d %+v", code, v)
	}
	if code, v := getJob(t, s, big, false); code != 200 || v.Result == nil || len(v.Result.Stdout) != 100*4096 {
		t.Errorf("the large Result after the restart: %d %+v", code, v.State)
	}
	if code, v := getJob(t, s, running, false); code != 200 || v.Result == nil || v.Result.Stdout != "after\n" {
		t.Errorf("the job taken over, after the restart: %d %+v", code, v)
	}
	w = do(t, s, "GET", "/judge0/submissions/"+tok.Token+"?base64_encoded=false&fields=stdout,source_code,stdin,status", "")
	var sub j0
	json.Unmarshal(w.Body.Bytes(), &sub)
	if w.Code != 200 || sub.Stdout == nil || *sub.Stdout != "judged\n" || !strings.Contains(w.Body.String(), `"source_code":"out judged"`) {
		t.Errorf("the Judge0 submission after the restart: %d %s", w.Code, w.Body)
	}
	if code, _ := getJob(t, s, "ffffffffffffffff", false); code != 404 {
		t.Errorf("an unknown job: %d", code)
	}
	if code, _ := getJob(t, s, "a.*", false); code != 404 {
		t.Errorf("an id that is no key: %d", code)
	}
}

// TestJobsPreHooksAtSubmission: a pre hook runs when a job is submitted, once: its refusal is
// the answer of POST /api/v1/jobs, /judge0/submissions (with or without wait) and each entry of
// a batch; the request it changes is what runs later.
func TestJobsPreHooksAtSubmission(t *testing.T) {
	var mu sync.Mutex
	calls := 0
	pre := func(_ context.Context, job *hooks.Job) error {
		mu.Lock()
		calls++
		mu.Unlock()
		if strings.Contains(string(job.Request.Files[0].Content), "forbidden") {
			return hooks.Refuse("no forbidden words here")
		}
		job.Request.Files[0].Content = []byte("out changed by the hook")
		return nil
	}
	chain := hooks.New(newFake(nil), []hooks.Pre{pre}, nil)
	defer chain.Close()
	s := newTestServer(t, chain, Options{})
	for _, c := range []struct{ target, body, want string }{
		{"/api/v1/jobs", `{"language":"python","source":"forbidden"}`, `"error":"no forbidden words here"`},
		{"/judge0/submissions", `{"language_id":71,"source_code":"forbidden"}`, `{"error":"no forbidden words here"}`},
		{"/judge0/submissions?wait=true", `{"language_id":71,"source_code":"forbidden"}`, `{"error":"no forbidden words here"}`},
	} {
		if w := do(t, s, "POST", c.target, c.body); w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), c.want) {
			t.Errorf("POST %s: %d %s", c.target, w.Code, w.Body)
		}
	}
	w := do(t, s, "POST", "/api/v1/jobs/batch", `{"jobs":[{"language":"python","source":"forbidden"},{"language":"python","source":"out original"}]}`)
	var batch struct {
		Jobs []struct {
			ID    string `json:"id"`
			Error string `json:"error"`
		} `json:"jobs"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &batch); err != nil || len(batch.Jobs) != 2 || batch.Jobs[0].Error != "no forbidden words here" || batch.Jobs[1].ID == "" {
		t.Fatalf("a batch with a refused job: %d %s", w.Code, w.Body)
	}
	if code, v := getJob(t, s, batch.Jobs[1].ID, true); code != 200 || v.Result == nil || v.Result.Stdout != "changed by the hook\n" {
		t.Errorf("the admitted job: %d %+v", code, v)
	}
	mu.Lock()
	defer mu.Unlock()
	if calls != 5 {
		t.Errorf("the pre hook ran %d times, want 5 (once per job)", calls)
	}
}

// TestJobsOrphanTakenOverOnce: servers that read, at the same time, a job whose server is gone
// take it over once: the fleet's Result ends it, and one of them alone ends it (and so sends
// its callback); a job the fleet still runs is followed by the one that took it, under its id.
func TestJobsOrphanTakenOverOnce(t *testing.T) {
	fake := newFake(nil)
	c, _ := testFleet(t, t.TempDir(), fake)
	bucket, err := c.OpenBucket(t.Context(), jobsBucket, DefaultJobTTL)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var ended, adopted []string
	var readers []*kvJobs
	for _, self := range []string{"r1", "r2", "r3"} {
		k := newKVJobs(bucket, self, quietLogger())
		k.find = c
		k.ended = func(rec jobRecord) { mu.Lock(); ended = append(ended, k.self+" "+rec.ID); mu.Unlock() }
		k.adopt = func(rec jobRecord) { mu.Lock(); adopted = append(adopted, rec.Owner+" "+rec.ID); mu.Unlock() }
		t.Cleanup(k.close)
		readers = append(readers, k)
	}
	ctx := t.Context()

	// Finished in the fleet while its server was gone.
	const doneID = "00000000000000d1"
	var seq uint64
	res, err := c.Run(fleet.WithJob(ctx, fleetJobID(doneID), func(s uint64) { seq = s }), jobScript("out orphan"), nil)
	if err != nil || res.Stdout != "orphan\n" || seq == 0 {
		t.Fatalf("the fleet's run: %+v %v (sequence %d)", res, err, seq)
	}
	// Still running in the fleet.
	const runID = "00000000000000d2"
	queued := make(chan uint64, 1)
	go c.Run(fleet.WithJob(context.WithoutCancel(ctx), fleetJobID(runID), func(s uint64) { queued <- s }), jobScript("gate"), nil)
	runSeq := <-queued
	for _, rec := range []jobRecord{
		{ID: doneID, State: JobRunning, Owner: "vanished", Created: time.Now().UTC(), Seq: seq, Callback: "http://127.0.0.1:1/"},
		{ID: runID, State: JobRunning, Owner: "vanished", Created: time.Now().UTC(), Seq: runSeq},
	} {
		if _, err := bucket.Create(ctx, jobKey(rec.ID), mustJSON(rec)); err != nil {
			t.Fatal(err)
		}
	}

	var wg sync.WaitGroup
	got := make([]jobRecord, len(readers))
	for i, k := range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec, ok, err := k.get(ctx, doneID)
			if err != nil || !ok {
				t.Errorf("%s: %v %v", k.self, ok, err)
			}
			got[i] = rec
		}()
	}
	wg.Wait()
	for i, rec := range got {
		if rec.State != JobDone || rec.Result == nil || rec.Result.Stdout != "orphan\n" {
			t.Errorf("%s read %+v; want it done with the fleet's Result", readers[i].self, rec)
		}
	}
	if len(ended) != 1 || !strings.HasSuffix(ended[0], doneID) {
		t.Errorf("ended by %q; want one server", ended)
	}

	rec, _, err := readers[0].get(ctx, runID)
	if err != nil || rec.State != JobRunning || rec.Owner != "r1" {
		t.Errorf("a job the fleet still runs: %+v %v; want it running, taken over", rec, err)
	}
	if rec, _, _ := readers[1].get(ctx, runID); rec.Owner != "r1" {
		t.Errorf("read again elsewhere: %+v; want it r1's", rec)
	}
	if len(adopted) != 1 || adopted[0] != "r1 "+runID {
		t.Errorf("taken over: %q; want once, by r1", adopted)
	}
	if f, err := c.Find(ctx, fleetJobID(runID), runSeq); err != nil || f.State != fleet.JobPending {
		t.Errorf("Find of a running job: %+v %v", f, err)
	}
	close(fake.Gate)
	if res, err := c.Result(ctx, fleetJobID(runID)); err != nil || res.Status != executor.StatusOK {
		t.Errorf("the followed job's Result: %+v %v", res, err)
	}
	if f, err := c.Find(ctx, fleetJobID("nosuchjob"), runSeq); err != nil || f.State != fleet.JobUnknown {
		t.Errorf("Find of a job the fleet never had: %+v %v", f, err)
	}
}

func jobScript(lines ...string) executor.Request {
	return executor.Request{Language: "python", Files: []executor.File{{Name: "main.py", Content: []byte(strings.Join(lines, "\n"))}}}
}
