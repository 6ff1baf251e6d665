package web

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sandrun/sandrun/executor"
)

// judgeExec answers by the source's first word: hello, segv, fpe, tle, exit3, oom, big,
// internal, compile (c: a compile error), sleep (until canceled), echo (stdin to stdout).
type judgeExec struct {
	mu   sync.Mutex
	reqs []executor.Request
}

func (e *judgeExec) Languages(context.Context) ([]executor.LanguageInfo, error) {
	return []executor.LanguageInfo{
		{ID: "c", Name: "C", Version: "12.2.0", Extensions: []string{".c"}, Compiled: true, Available: true, Runtime: "gcc",
			Runtimes: []executor.RuntimeInfo{
				{Runtime: "gcc", Name: "GCC", Version: "12.2.0", Default: true, Compiled: true, Available: true},
				{Runtime: "clang", Name: "Clang", Version: "14.0.6", Compiled: true, Available: true},
			}},
		{ID: "cpp", Name: "C++", Version: "12.2.0", Extensions: []string{".cpp"}, Compiled: true, Available: true, Runtime: "gcc",
			Runtimes: []executor.RuntimeInfo{
				{Runtime: "gcc", Name: "GCC", Version: "12.2.0", Default: true, Compiled: true, Available: true},
				{Runtime: "clang", Name: "Clang", Compiled: true, Missing: "apt-get install clang"},
			}},
		{ID: "cobol", Name: "COBOL", Extensions: []string{".cob"}},
		{ID: "python", Name: "Python", Version: "3.11.2", Extensions: []string{".py"}, Available: true},
	}, nil
}

func (e *judgeExec) Capacity(context.Context) (executor.Capacity, error) {
	return executor.Capacity{Slots: 2, QueueMax: 8}, nil
}

func (e *judgeExec) Run(ctx context.Context, req executor.Request, _ func(executor.Event)) (executor.Result, error) {
	e.mu.Lock()
	e.reqs = append(e.reqs, req)
	e.mu.Unlock()
	r := executor.Result{Language: req.Language, Version: "3.11.2", Status: executor.StatusOK, CPUTimeMs: 12, WallTimeMs: 20, MemoryKiB: 2048}
	word := strings.Fields(string(req.Files[0].Content) + " x")[0]
	switch word {
	case "hello":
		r.Stdout = "hello, world\n"
	case "echo":
		r.Stdout = string(req.Stdin)
	case "segv":
		r.Status, r.Signal, r.ExitCode, r.Message = executor.StatusSignaled, "SIGSEGV", -1, "killed by SIGSEGV"
	case "fpe":
		r.Status, r.Signal, r.ExitCode, r.Message = executor.StatusSignaled, "SIGFPE", -1, "killed by SIGFPE"
	case "tle":
		r.Status, r.ExitCode, r.Message = executor.StatusTimeLimit, -1, "the program used more than its CPU time limit"
	case "exit3":
		r.Status, r.ExitCode, r.Message, r.Stderr = executor.StatusRuntimeError, 3, "exited with code 3", "bye\n"
	case "oom":
		r.Status, r.ExitCode, r.Message = executor.StatusMemoryLimit, -1, "the program used more than its memory limit"
	case "big":
		r.Status, r.ExitCode, r.Message = executor.StatusOutputLimit, -1, "too much output"
	case "internal":
		r.Status, r.Message = executor.StatusInternalError, "the sandbox failed"
	case "compile":
		r.Status, r.Message = executor.StatusCompileError, "compilation failed; the compiler's messages are in compile.stderr" // executor/local's sentence
		r.Compile = &executor.Result{Status: executor.StatusRuntimeError, Stderr: "main.c:1:1: error: nope\n"}
	case "sleep":
		select {
		case <-ctx.Done():
			return executor.Result{}, ctx.Err()
		case <-time.After(20 * time.Second):
		}
	}
	return r, nil
}

func judge0Server(t *testing.T, opts Options) (string, *judgeExec) {
	t.Helper()
	ex := &judgeExec{}
	opts.Rate = Rate{N: -1}
	srv := httptest.NewServer(newTestServer(t, ex, opts))
	t.Cleanup(srv.Close)
	return srv.URL, ex
}

func doJSON(t *testing.T, method, url, body string, out any) int {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %d %s: %v", method, url, resp.StatusCode, b, err)
		}
	}
	return resp.StatusCode
}

type j0 struct {
	Token         string  `json:"token"`
	Stdout        *string `json:"stdout"`
	Stderr        *string `json:"stderr"`
	CompileOutput *string `json:"compile_output"`
	Message       *string `json:"message"`
	ExitCode      *int    `json:"exit_code"`
	ExitSignal    *int    `json:"exit_signal"`
	Time          *string `json:"time"`
	Memory        *int    `json:"memory"`
	Status        struct {
		ID          int    `json:"id"`
		Description string `json:"description"`
	} `json:"status"`
}

func str(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}

// Requests in the shapes of Judge0's own documentation, with wait=true, each status sandrun can
// produce.
func TestJudge0Statuses(t *testing.T) {
	base, _ := judge0Server(t, Options{})
	for _, tt := range []struct {
		lang   int
		src    string
		extra  string
		status int
		check  func(a j0) string
	}{
		{71, "hello", "", 3, func(a j0) string {
			if str(a.Stdout) != "hello, world\n" || str(a.Time) != "0.012" || a.Memory == nil || *a.Memory != 2048 {
				return fmt.Sprintf("stdout %q time %s memory %v", str(a.Stdout), str(a.Time), a.Memory)
			}
			return ""
		}},
		{71, "hello", `,"expected_output":"hello, world"`, 3, nil},
		{71, "hello", `,"expected_output":"goodbye"`, 4, nil},
		{71, "tle", "", 5, nil},
		{50, "compile", "", 6, func(a j0) string {
			if !strings.Contains(str(a.CompileOutput), "error: nope") {
				return "compile_output " + str(a.CompileOutput)
			}
			return ""
		}},
		{71, "segv", "", 7, nil},
		{71, "big", "", 8, nil},
		{71, "fpe", "", 9, nil},
		{71, "exit3", "", 11, func(a j0) string {
			if str(a.Stderr) != "bye\n" || str(a.Message) == "<nil>" {
				return fmt.Sprintf("stderr %q message %q", str(a.Stderr), str(a.Message))
			}
			return ""
		}},
		{71, "oom", "", 12, nil},
		{71, "internal", "", 13, nil},
	} {
		t.Run(fmt.Sprintf("%d %s%s", tt.lang, tt.src, tt.extra), func(t *testing.T) {
			var a j0
			body := fmt.Sprintf(`{"source_code":%q,"language_id":%d%s}`, tt.src, tt.lang, tt.extra)
			if code := doJSON(t, "POST", base+"/judge0/submissions?base64_encoded=false&wait=true", body, &a); code != http.StatusCreated {
				t.Fatalf("POST: %d", code)
			}
			if a.Status.ID != tt.status || a.Status.Description != judge0Statuses[tt.status-1].Description || a.Token == "" {
				t.Fatalf("status %+v token %q, want %d", a.Status, a.Token, tt.status)
			}
			if tt.check != nil {
				if msg := tt.check(a); msg != "" {
					t.Error(msg)
				}
			}
		})
	}
}

// base64_encoded=true both ways, wait=false with polling, and fields.
func TestJudge0Base64AndPolling(t *testing.T) {
	base, ex := judge0Server(t, Options{})
	enc := base64.StdEncoding.EncodeToString
	body := fmt.Sprintf(`{"source_code":%q,"language_id":71,"stdin":%q,"command_line_arguments":"a 'b c'","cpu_time_limit":1.5,"memory_limit":65536}`, enc([]byte("echo")), enc([]byte("Ada\n")))
	var tok struct{ Token string }
	if code := doJSON(t, "POST", base+"/judge0/submissions?base64_encoded=true", body, &tok); code != http.StatusCreated || tok.Token == "" {
		t.Fatalf("POST: %d %+v", code, tok)
	}
	var a j0
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		doJSON(t, "GET", base+"/judge0/submissions/"+tok.Token+"?base64_encoded=true", "", &a)
		if a.Status.ID > 2 || time.Now().After(deadline) {
			break
		}
	}
	if a.Status.ID != 3 || str(a.Stdout) != enc([]byte("Ada\n")) {
		t.Fatalf("polled %+v stdout %q, want Accepted and base64 of Ada", a.Status, str(a.Stdout))
	}
	req := ex.reqs[0]
	if req.MergeOutput {
		t.Error("MergeOutput without redirect_stderr_to_stdout")
	}
	if strings.Join(req.Args, "|") != "a|b c" || req.Limits.CPUTimeMs != 1500 || req.Limits.MemoryBytes != 64<<20 || string(req.Stdin) != "Ada\n" {
		t.Errorf("the executor got args %q cpu %d memory %d stdin %q", req.Args, req.Limits.CPUTimeMs, req.Limits.MemoryBytes, req.Stdin)
	}
	var some map[string]any
	doJSON(t, "GET", base+"/judge0/submissions/"+tok.Token+"?fields=status,language_id,status_id", "", &some)
	st, _ := some["status"].(map[string]any)
	if len(some) != 3 || some["language_id"] != 71.0 || st == nil || some["status_id"] != st["id"] {
		t.Errorf("fields=status,language_id,status_id gave %v", some)
	}
	// As Judge0: a field no submission has is a 400 naming it; one of Judge0's that is not
	// kept here is null.
	var bad map[string]any
	if code := doJSON(t, "GET", base+"/judge0/submissions/"+tok.Token+"?fields=status,bogus,cpu_time_limit,x", "", &bad); code != http.StatusBadRequest || len(bad) != 1 || bad["error"] != "invalid fields: [bogus, x]" {
		t.Errorf("fields=status,bogus,cpu_time_limit,x: %d %v, want 400 and invalid fields: [bogus, x]", code, bad)
	}
	some = nil
	code := doJSON(t, "GET", base+"/judge0/submissions/"+tok.Token+"?fields=status,cpu_time_limit", "", &some)
	if v, ok := some["cpu_time_limit"]; code != http.StatusOK || !ok || v != nil || len(some) != 2 {
		t.Errorf("fields=status,cpu_time_limit gave %v, want status and a null cpu_time_limit", some)
	}
}

func TestJudge0BatchLanguagesErrors(t *testing.T) {
	base, _ := judge0Server(t, Options{})
	var toks []map[string]any
	code := doJSON(t, "POST", base+"/judge0/submissions/batch", `{"submissions":[{"source_code":"hello","language_id":71},{"source_code":"x","language_id":9999}]}`, &toks)
	if code != http.StatusCreated || len(toks) != 2 || toks[0]["token"] == nil || toks[1]["language_id"] == nil {
		t.Fatalf("batch POST: %d %v", code, toks)
	}
	var got struct{ Submissions []*j0 }
	url := base + "/judge0/submissions/batch?tokens=" + toks[0]["token"].(string) + ",nope"
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		doJSON(t, "GET", url, "", &got)
		if got.Submissions[0].Status.ID > 2 || time.Now().After(deadline) {
			break
		}
	}
	if len(got.Submissions) != 2 || got.Submissions[0].Status.ID != 3 || got.Submissions[1] != nil {
		t.Fatalf("batch GET: %+v", got.Submissions)
	}

	var langs []struct {
		ID   int
		Name string
	}
	doJSON(t, "GET", base+"/judge0/languages", "", &langs)
	ids := map[int]string{}
	for _, l := range langs {
		ids[l.ID] = l.Name
	}
	if ids[71] != "Python (3.11.2)" || ids[50] != "C (GCC) (12.2.0)" || ids[77] != "" || ids[62] != "" {
		t.Errorf("languages: %v; want Python and C, not COBOL (not installed) nor Java (not offered)", ids)
	}
	var statuses []judge0Status
	doJSON(t, "GET", base+"/judge0/statuses", "", &statuses)
	if len(statuses) != 14 || statuses[2].Description != "Accepted" || statuses[12].ID != 13 {
		t.Errorf("statuses: %v", statuses)
	}

	var e map[string][]string
	if code := doJSON(t, "POST", base+"/judge0/submissions", `{"source_code":"x","language_id":77}`, &e); code != http.StatusUnprocessableEntity || len(e["language_id"]) != 1 {
		t.Errorf("a language not installed: %d %v, want 422 naming language_id", code, e)
	}
	if code := doJSON(t, "POST", base+"/judge0/submissions", `{"language_id":71}`, &e); code != http.StatusUnprocessableEntity || len(e["source_code"]) != 1 {
		t.Errorf("no source: %d %v", code, e)
	}
	if code := doJSON(t, "POST", base+"/judge0/submissions", `{"source_code":"x","language_id":71,"callback_url":"http://169.254.169.254/"}`, &e); code != http.StatusUnprocessableEntity || len(e["callback_url"]) != 1 {
		t.Errorf("a callback to a host not allowed: %d %v, want 422 naming callback_url", code, e)
	}
}

// Jobs: 202 at once, polled or waited for, canceled, and a callback only to an allowed host.
func TestJobs(t *testing.T) {
	got := make(chan JobView, 1)
	cb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var v JobView
		json.NewDecoder(r.Body).Decode(&v)
		if r.Method == http.MethodPut {
			got <- v
		}
	}))
	defer cb.Close()
	host := strings.TrimPrefix(cb.URL, "http://")
	base, _ := judge0Server(t, Options{CallbackAllow: []string{host}})

	var v JobView
	if code := doJSON(t, "POST", base+"/api/v1/jobs", `{"language":"python","source":"hello","callback_url":"`+cb.URL+`/done"}`, &v); code != http.StatusAccepted || v.ID == "" {
		t.Fatalf("POST /api/v1/jobs: %d %+v", code, v)
	}
	doJSON(t, "GET", base+"/api/v1/jobs/"+v.ID+"?wait=true", "", &v)
	if v.State != JobDone || v.Result == nil || v.Result.Stdout != "hello, world\n" {
		t.Fatalf("GET ?wait=true: %+v", v)
	}
	select {
	case c := <-got:
		if c.ID != v.ID || c.Result == nil || c.Result.Stdout != "hello, world\n" {
			t.Errorf("callback got %+v", c)
		}
	case <-time.After(10 * time.Second):
		t.Error("the callback was not called")
	}

	doJSON(t, "POST", base+"/api/v1/jobs", `{"language":"python","source":"sleep"}`, &v)
	var d JobView
	if code := doJSON(t, "DELETE", base+"/api/v1/jobs/"+v.ID, "", &d); code != http.StatusOK || d.State != JobDone || d.Result != nil || !strings.HasPrefix(d.Error, "the job was canceled ") {
		t.Errorf("DELETE a running job: %d %+v", code, d)
	}
	var e apiError
	if code := doJSON(t, "POST", base+"/api/v1/jobs", `{"language":"python","source":"hello","callback_url":"http://127.0.0.1:1/"}`, &e); code != http.StatusBadRequest || e.Field != "callback_url" {
		t.Errorf("a callback to a host not allowed: %d %+v", code, e)
	}
	if code := doJSON(t, "GET", base+"/api/v1/jobs/nope", "", &e); code != http.StatusNotFound {
		t.Errorf("GET an unknown job: %d", code)
	}
	var batch struct{ Jobs []map[string]any }
	if code := doJSON(t, "POST", base+"/api/v1/jobs/batch", `{"jobs":[{"language":"python","source":"hello"},{"language":"klingon","source":"x"}]}`, &batch); code != http.StatusAccepted || len(batch.Jobs) != 2 || batch.Jobs[0]["id"] == nil || batch.Jobs[1]["error"] == nil {
		t.Errorf("batch: %d %+v", code, batch)
	}
}

// TestJudge0Callback: a submission's callback_url gets a PUT of the submission as GET shows it,
// in the encoding it was sent in (base64 here).
func TestJudge0Callback(t *testing.T) {
	got := make(chan map[string]any, 1)
	cb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m map[string]any
		json.NewDecoder(r.Body).Decode(&m)
		if r.Method == http.MethodPut {
			got <- m
		}
	}))
	defer cb.Close()
	base, _ := judge0Server(t, Options{CallbackAllow: []string{strings.TrimPrefix(cb.URL, "http://")}})
	var tok map[string]any
	body := `{"source_code":"aGVsbG8=","language_id":71,"callback_url":"` + cb.URL + `/j0"}` // "hello"
	if code := doJSON(t, "POST", base+"/judge0/submissions?base64_encoded=true", body, &tok); code != http.StatusCreated || tok["token"] == nil {
		t.Fatalf("POST /judge0/submissions with a callback: %d %v", code, tok)
	}
	c := <-got // or the test's timeout
	st, _ := c["status"].(map[string]any)
	if c["token"] != tok["token"] || st["id"] != 3.0 || c["stdout"] != "aGVsbG8sIHdvcmxkCg==" {
		t.Errorf("callback got %v; want the token, status 3 and stdout in base64", c)
	}
}

// TestJudge0Runtimes: Judge0's Clang ids run on the clang runtime and are listed only where it
// is installed (here for C, not for C++); its GCC ids run on gcc.
func TestJudge0Runtimes(t *testing.T) {
	base, ex := judge0Server(t, Options{})
	var langs []struct {
		ID   int
		Name string
	}
	doJSON(t, "GET", base+"/judge0/languages", "", &langs)
	names := map[int]string{}
	for _, l := range langs {
		names[l.ID] = l.Name
	}
	if names[75] != "C (Clang) (14.0.6)" || names[104] != "C (Clang) (14.0.6)" || names[50] != "C (GCC) (12.2.0)" || names[54] != "C++ (GCC) (12.2.0)" {
		t.Errorf("languages %v: want 75 and 104 on Clang 14.0.6, 50 and 54 on GCC 12.2.0", names)
	}
	if _, ok := names[76]; ok {
		t.Errorf("76 C++ (Clang) is listed though C++'s clang runtime is not installed: %v", names)
	}
	for _, tt := range []struct {
		id      int
		runtime string
	}{{75, "clang"}, {104, "clang"}, {50, "gcc"}, {54, "gcc"}} {
		var a j0
		if code := doJSON(t, "POST", base+"/judge0/submissions?wait=true", fmt.Sprintf(`{"source_code":"hello","language_id":%d}`, tt.id), &a); code != http.StatusCreated || a.Status.ID != 3 {
			t.Fatalf("language_id %d: %d %+v", tt.id, code, a.Status)
		}
		ex.mu.Lock()
		got := ex.reqs[len(ex.reqs)-1]
		ex.mu.Unlock()
		if got.Runtime != tt.runtime {
			t.Errorf("language_id %d ran on runtime %q, want %s", tt.id, got.Runtime, tt.runtime)
		}
	}
	var e map[string][]string
	if code := doJSON(t, "POST", base+"/judge0/submissions", `{"source_code":"hello","language_id":76}`, &e); code != http.StatusUnprocessableEntity || len(e["language_id"]) != 1 {
		t.Errorf("language_id 76 without clang++: %d %v, want 422 naming language_id", code, e)
	}
}

// TestJudge0RedirectStderr: redirect_stderr_to_stdout asks the executor for one descriptor.
func TestJudge0RedirectStderr(t *testing.T) {
	base, ex := judge0Server(t, Options{})
	var a j0
	if code := doJSON(t, "POST", base+"/judge0/submissions?wait=true", `{"source_code":"hello","language_id":71,"redirect_stderr_to_stdout":true}`, &a); code != http.StatusCreated || a.Status.ID != 3 {
		t.Fatalf("POST: %d %+v", code, a.Status)
	}
	ex.mu.Lock()
	defer ex.mu.Unlock()
	if !ex.reqs[len(ex.reqs)-1].MergeOutput {
		t.Error("redirect_stderr_to_stdout: the executor did not get MergeOutput")
	}
}

// TestJudge0AuthToken: with an API token, Judge0 clients may send it as X-Auth-Token.
func TestJudge0AuthToken(t *testing.T) {
	base, _ := judge0Server(t, Options{APIToken: "judge0-token-0123456789"})
	for _, tt := range []struct {
		path, token string
		want        int
	}{
		{"/judge0/statuses", "", http.StatusUnauthorized},
		{"/judge0/statuses", "wrong-token-0123456789", http.StatusUnauthorized},
		{"/judge0/statuses", "judge0-token-0123456789", http.StatusOK},
		{"/api/v1/languages", "judge0-token-0123456789", http.StatusUnauthorized}, // Judge0's header only under /judge0/
	} {
		req, _ := http.NewRequest("GET", base+tt.path, nil)
		if tt.token != "" {
			req.Header.Set("X-Auth-Token", tt.token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("GET %s with X-Auth-Token %q: %d, want %d", tt.path, tt.token, resp.StatusCode, tt.want)
		}
	}
}
