package web

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/executor/executortest"
)

func TestLanguages(t *testing.T) {
	s := newTestServer(t, nil, Options{})
	w := do(t, s, "GET", "/api/v1/languages", "")
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	var got []Language
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, l := range got {
		ids = append(ids, l.ID)
	}
	if diff := cmp.Diff([]string{"c", "cobol", "python"}, ids); diff != "" {
		t.Errorf("ids (-want +got):\n%s", diff)
	}
	py := got[2]
	if py.Version != "3.11.2" || !py.Available || py.SourceFile != "main.py" || !strings.Contains(py.Hello, "Hello") {
		t.Errorf("python entry %+v: want version, available, source_file main.py and a hello program (from languages/defs)", py)
	}
	if got[1].Available || got[1].Missing == "" {
		t.Errorf("cobol entry %+v: want not available, with how to install it", got[1])
	}
}

func TestHealth(t *testing.T) {
	t.Run("ok", func(t *testing.T) {
		w := do(t, newTestServer(t, nil, Options{}), "GET", "/healthz", "")
		var h health
		json.Unmarshal(w.Body.Bytes(), &h)
		if w.Code != 200 || h.Status != "ok" || h.Capacity == nil || h.Capacity.Slots != 2 {
			t.Errorf("status %d body %s: want 200 ok with the capacity", w.Code, w.Body)
		}
	})
	t.Run("executor down", func(t *testing.T) {
		w := do(t, newTestServer(t, &executortest.Fake{CapacityErr: errBoom}, Options{}), "GET", "/healthz", "")
		if w.Code != 503 || !strings.Contains(w.Body.String(), "connection refused") {
			t.Errorf("status %d body %s: want 503 saying why", w.Code, w.Body)
		}
	})
}

func TestPage(t *testing.T) {
	s := newTestServer(t, nil, Options{})
	w := do(t, s, "GET", "/", "")
	if w.Code != 200 || !strings.Contains(w.Header().Get("Content-Type"), "text/html") || !strings.Contains(w.Body.String(), "<html") {
		t.Fatalf("status %d type %q: want the HTML page", w.Code, w.Header().Get("Content-Type"))
	}
	if !strings.Contains(w.Header().Get("Content-Security-Policy"), "default-src 'self'") {
		t.Errorf("page without a same-origin CSP: %q", w.Header().Get("Content-Security-Policy"))
	}
	if w := do(t, s, "GET", "/no-such-asset.js", ""); w.Code != 404 {
		t.Errorf("missing asset: status %d, want 404", w.Code)
	}
}

// TestFallback: an unknown API route or method is a JSON error, not the mux's plain text.
func TestFallback(t *testing.T) {
	s := newTestServer(t, nil, Options{})
	for _, tc := range []struct {
		method, path string
		status       int
		allow, msg   string
		key          string
	}{
		{"GET", "/api/v1/run", 405, "POST", "use POST", "error"},
		{"DELETE", "/api/v1/languages", 405, "GET, HEAD", "DELETE is not allowed", "error"},
		{"GET", "/api/v1/nope", 404, "", "no route GET /api/v1/nope", "error"},
		{"GET", "/api/v2/execute", 405, "POST", "use POST", "message"},
		{"POST", "/api/v2/packages", 404, "", "no route", "message"},
	} {
		w := do(t, s, tc.method, tc.path, "")
		var body map[string]string
		json.Unmarshal(w.Body.Bytes(), &body)
		if w.Code != tc.status || !strings.Contains(body[tc.key], tc.msg) || w.Header().Get("Allow") != tc.allow {
			t.Errorf("%s %s: status %d Allow %q body %s; want %d, Allow %q, %s containing %q",
				tc.method, tc.path, w.Code, w.Header().Get("Allow"), w.Body, tc.status, tc.allow, tc.key, tc.msg)
		}
	}
}

// TestOpenAPIResultStatuses: the served document's Result names every status a Result can
// carry (wrong_answer was missing) and gives diagnostics as a list, never null.
func TestOpenAPIResultStatuses(t *testing.T) {
	s := newTestServer(t, nil, Options{})
	w := do(t, s, "GET", "/api/openapi.json", "")
	var doc struct {
		Components struct {
			Schemas struct {
				Result struct {
					Properties struct {
						Status struct {
							Enum []string `json:"enum"`
						} `json:"status"`
						Diagnostics struct {
							Type any `json:"type"`
						} `json:"diagnostics"`
					} `json:"properties"`
				} `json:"Result"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil || w.Code != 200 {
		t.Fatalf("status %d, err %v: want an OpenAPI document", w.Code, err)
	}
	props := doc.Components.Schemas.Result.Properties
	got := props.Status.Enum
	slices.Sort(got)
	want := []string{string(executor.StatusOK), string(executor.StatusRuntimeError), string(executor.StatusSignaled),
		string(executor.StatusTimeLimit), string(executor.StatusMemoryLimit), string(executor.StatusOutputLimit),
		string(executor.StatusCompileError), string(executor.StatusWrongAnswer), string(executor.StatusInternalError)}
	slices.Sort(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Result.status enum (-want +got):\n%s", diff)
	}
	if props.Diagnostics.Type != "array" {
		t.Errorf("Result.diagnostics type %v, want \"array\"", props.Diagnostics.Type)
	}
}

// TestOpenAPI: the document parses and lists exactly the routes served, each of which answers.
func TestOpenAPI(t *testing.T) {
	s := newTestServer(t, nil, Options{})
	w := do(t, s, "GET", "/api/openapi.json", "")
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil || w.Code != 200 || doc.OpenAPI == "" {
		t.Fatalf("status %d, err %v: want an OpenAPI document", w.Code, err)
	}
	var got []string
	for p, ops := range doc.Paths {
		for m := range ops {
			got = append(got, strings.ToUpper(m)+" "+p)
		}
	}
	slices.Sort(got)
	want := []string{"DELETE /api/v1/jobs/{id}", "DELETE /judge0/submissions/{token}",
		"GET /", "GET /api/openapi.json", "GET /api/v1/fleet", "GET /api/v1/jobs/{id}", "GET /api/v1/languages", "GET /api/v1/run/stream",
		"GET /api/v2/piston/runtimes", "GET /api/v2/runtimes", "GET /healthz", "GET /judge0/about", "GET /judge0/config_info", "GET /judge0/languages", "GET /judge0/languages/all", "GET /judge0/languages/{id}", "GET /judge0/statuses",
		"GET /judge0/submissions/batch", "GET /judge0/submissions/{token}", "GET /metrics",
		"POST /api/v1/jobs", "POST /api/v1/jobs/batch", "POST /api/v1/run", "POST /api/v2/execute", "POST /api/v2/piston/execute",
		"POST /judge0/submissions", "POST /judge0/submissions/batch"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("documented routes (-want +got):\n%s", diff)
	}
	for _, route := range got {
		method, path, _ := strings.Cut(route, " ")
		if route == "GET /api/v1/fleet" {
			continue // 404 without a fleet: TestFleetStatus
		}
		if strings.Contains(path, "{") {
			// A route with a parameter: an unknown id is a 404 of the route, not a missing route.
			if w := do(t, s, method, strings.NewReplacer("{id}", "0", "{token}", "0").Replace(path), ""); w.Code == 405 {
				t.Errorf("%s is documented but answers %d", route, w.Code)
			}
			continue
		}
		if w := do(t, s, method, path, ""); w.Code == 404 || w.Code == 405 {
			t.Errorf("%s is documented but answers %d", route, w.Code)
		}
	}
}

func TestMetricsAfterRun(t *testing.T) {
	s := newTestServer(t, nil, Options{})
	if w := do(t, s, "POST", "/api/v1/run", `{"language":"python","source":"out hi"}`); w.Code != 200 {
		t.Fatalf("run: %d %s", w.Code, w.Body)
	}
	do(t, s, "POST", "/api/v1/run", `{"language":"python","source":"exit 2"}`)
	// The runs are counted by a post hook, after the answers: wait for both (or the test's timeout).
	w := do(t, s, "GET", "/metrics", "")
	for !strings.Contains(w.Body.String(), `sandrun_run_duration_seconds_count{language="python"} 2`) {
		time.Sleep(10 * time.Millisecond)
		w = do(t, s, "GET", "/metrics", "")
	}
	for _, want := range []string{
		`sandrun_runs_total{language="python",status="ok"} 1`,
		`sandrun_runs_total{language="python",status="runtime_error"} 1`,
		`sandrun_run_duration_seconds_count{language="python"} 2`,
		`sandrun_run_duration_seconds_bucket{language="python",le="0.25"}`, // round buckets
		`sandrun_run_duration_seconds_bucket{language="python",le="180"}`,
		`sandrun_queue_length 0`,
		`sandrun_slots 2`,
		`sandrun_http_requests_total{code="200",route="POST /api/v1/run"} 2`,
		`go_goroutines`,
	} {
		if !strings.Contains(w.Body.String(), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

func TestAuth(t *testing.T) {
	s := newTestServer(t, nil, Options{APIToken: "s3cret"})
	run := `{"language":"python","source":"out hi"}`
	for _, tc := range []struct {
		name, method, path, body string
		header                   []string
		status                   int
	}{
		{"no token", "POST", "/api/v1/run", run, nil, 401},
		{"wrong token", "POST", "/api/v1/run", run, []string{"Authorization", "Bearer nope"}, 401},
		{"wrong scheme", "POST", "/api/v1/run", run, []string{"Authorization", "Basic czNjcmV0"}, 401},
		{"bearer", "POST", "/api/v1/run", run, []string{"Authorization", "Bearer s3cret"}, 200},
		{"cookie", "POST", "/api/v1/run", run, []string{"Cookie", "sandrun_token=s3cret"}, 200},
		{"wrong cookie", "GET", "/api/v1/languages", "", []string{"Cookie", "sandrun_token=x"}, 401},
		{"piston without", "GET", "/api/v2/runtimes", "", nil, 401},
		{"piston with", "GET", "/api/v2/runtimes", "", []string{"Authorization", "bearer s3cret"}, 200},
		{"metrics without", "GET", "/metrics", "", nil, 401},
		{"page is open", "GET", "/", "", nil, 200},
		{"health is open", "GET", "/healthz", "", nil, 200},
		{"openapi is open", "GET", "/api/openapi.json", "", nil, 200},
		{"login wrong", "GET", "/?token=nope", "", nil, 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := do(t, s, tc.method, tc.path, tc.body, tc.header...)
			if w.Code != tc.status {
				t.Errorf("status %d, want %d: %s", w.Code, tc.status, w.Body)
			}
			if w.Code == 401 && strings.HasPrefix(tc.path, "/api/") && !strings.Contains(w.Body.String(), "token") {
				t.Errorf("401 body %s does not say a token is needed", w.Body)
			}
		})
	}
	t.Run("login", func(t *testing.T) {
		w := do(t, s, "GET", "/?token=s3cret", "")
		c := w.Result().Cookies()
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/" || len(c) != 1 {
			t.Fatalf("status %d, Location %q, cookies %v: want 303 to / with the cookie", w.Code, w.Header().Get("Location"), c)
		}
		if c[0].Name != tokenCookie || c[0].Value != "s3cret" || !c[0].HttpOnly || c[0].SameSite != http.SameSiteStrictMode {
			t.Errorf("cookie %+v: want HttpOnly, SameSite=Strict", c[0])
		}
	})
}

func TestCORS(t *testing.T) {
	t.Run("off by default", func(t *testing.T) {
		w := do(t, newTestServer(t, nil, Options{}), "GET", "/api/v1/languages", "", "Origin", "https://elsewhere.example")
		if h := w.Header().Get("Access-Control-Allow-Origin"); h != "" {
			t.Errorf("Access-Control-Allow-Origin %q without --cors-origin", h)
		}
	})
	s := newTestServer(t, nil, Options{CORSOrigins: []string{"https://ok.example"}})
	t.Run("allowed", func(t *testing.T) {
		w := do(t, s, "GET", "/api/v1/languages", "", "Origin", "https://ok.example")
		if h := w.Header().Get("Access-Control-Allow-Origin"); h != "https://ok.example" {
			t.Errorf("Access-Control-Allow-Origin %q", h)
		}
	})
	t.Run("preflight", func(t *testing.T) {
		w := do(t, s, "OPTIONS", "/api/v1/run", "", "Origin", "https://ok.example", "Access-Control-Request-Method", "POST")
		if w.Code != 204 || !strings.Contains(w.Header().Get("Access-Control-Allow-Headers"), "Authorization") {
			t.Errorf("preflight: status %d headers %v", w.Code, w.Header())
		}
	})
	t.Run("other origin", func(t *testing.T) {
		w := do(t, s, "GET", "/api/v1/languages", "", "Origin", "https://evil.example")
		if h := w.Header().Get("Access-Control-Allow-Origin"); h != "" {
			t.Errorf("Access-Control-Allow-Origin %q for an origin not listed", h)
		}
	})
}

func TestRateLimit(t *testing.T) {
	s := newTestServer(t, nil, Options{Rate: Rate{N: 2, Per: time.Minute}})
	send := func(ip string) *http.Response {
		req := newChunkedRequest("/api/v1/run", `{"language":"python","source":"out hi"}`)
		req.RemoteAddr = ip + ":1234"
		return serve(s, req).Result()
	}
	for i := range 2 {
		if r := send("192.0.2.1"); r.StatusCode != 200 {
			t.Fatalf("run %d: status %d", i, r.StatusCode)
		}
	}
	r := send("192.0.2.1")
	if r.StatusCode != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" {
		t.Errorf("third run: status %d Retry-After %q; want 429 with Retry-After", r.StatusCode, r.Header.Get("Retry-After"))
	}
	if r := send("192.0.2.2"); r.StatusCode != 200 {
		t.Errorf("another client: status %d, want 200", r.StatusCode)
	}
	if w := do(t, s, "GET", "/api/v1/languages", ""); w.Code != 200 {
		t.Errorf("languages are not rate limited, yet status %d", w.Code)
	}
}

func TestRateLimiterRefills(t *testing.T) {
	l := newRateLimiter(60, time.Minute) // one a second
	now := time.Unix(1000, 0)
	for i := range 60 {
		if _, ok := l.allow("a", now); !ok {
			t.Fatalf("token %d refused within the burst", i)
		}
	}
	wait, ok := l.allow("a", now)
	if ok || wait <= 0 || wait > time.Second {
		t.Fatalf("past the burst: ok %v wait %v; want refused, wait ≤ 1s", ok, wait)
	}
	if _, ok := l.allow("a", now.Add(1100*time.Millisecond)); !ok {
		t.Error("no token after a second")
	}
	l.allow("b", now)
	l.allow("c", now.Add(2*time.Minute)) // sweeps: a and b are full again
	if len(l.buckets) != 1 {
		t.Errorf("%d buckets after the sweep, want 1", len(l.buckets))
	}
}

// TestServeShutdown: Serve answers on a real socket; Shutdown lets the run in flight finish
// and answer before it returns, and Serve then returns http.ErrServerClosed.
func TestServeShutdown(t *testing.T) {
	started := make(chan struct{})
	release := make(chan struct{})
	exec := newFake(func(ctx context.Context, req executor.Request, on func(executor.Event)) (executor.Result, error) {
		close(started)
		<-release
		return executor.Result{Language: "python", Status: executor.StatusOK, Stdout: "late\n"}, nil
	})
	s := newTestServer(t, exec, Options{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(ln) }()

	answer := make(chan string, 1)
	go func() {
		resp, err := http.Post("http://"+ln.Addr().String()+"/api/v1/run", "application/json",
			strings.NewReader(`{"language":"python","source":"x"}`))
		if err != nil {
			answer <- err.Error()
			return
		}
		defer resp.Body.Close()
		var res executor.Result
		json.NewDecoder(resp.Body).Decode(&res)
		answer <- res.Stdout
	}()
	<-started
	shut := make(chan error, 1)
	go func() { shut <- s.Shutdown(context.Background()) }()
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		t.Errorf("Serve: %v, want http.ErrServerClosed", err)
	}
	close(release)
	if got := <-answer; got != "late\n" {
		t.Errorf("the run in flight answered %q, want its output", got)
	}
	if err := <-shut; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if _, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		t.Error("still listening after shutdown")
	}
}

func TestParseRate(t *testing.T) {
	for in, want := range map[string]Rate{
		"120/min": {120, time.Minute}, "5/s": {5, time.Second}, "1000/h": {1000, time.Hour}, "30": {30, time.Minute},
		"off": {-1, time.Minute}, "0": {-1, time.Minute},
	} {
		got, err := ParseRate(in)
		if err != nil || got != want {
			t.Errorf("ParseRate(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "fast", "5/fortnight", "-3/s", "x/min"} {
		if _, err := ParseRate(bad); err == nil {
			t.Errorf("ParseRate(%q): no error", bad)
		}
	}
}

// TestRateOff: a negative rate means no limit at all (not the default).
func TestRateOff(t *testing.T) {
	s, err := New(Options{Executor: newFake(nil), Rate: Rate{N: -1}, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	for i := range DefaultRate.N + 5 {
		if w := serve(s, newChunkedRequest("/api/v1/run", `{"language":"python","source":"out hi"}`)); w.Code != 200 {
			t.Fatalf("run %d: status %d, want no limit", i, w.Code)
		}
	}
}

// TestRateLimitBatch: a batch of N jobs counts as N runs against --rate, all or none.
func TestRateLimitBatch(t *testing.T) {
	s := newTestServer(t, nil, Options{Rate: Rate{N: 3, Per: time.Minute}})
	send := func(ip, target, body string) *httptest.ResponseRecorder {
		req := newChunkedRequest(target, body)
		req.RemoteAddr = ip + ":1234"
		return serve(s, req)
	}
	two := `{"jobs":[{"language":"python","source":"out a"},{"language":"python","source":"out b"}]}`
	if w := send("192.0.2.1", "/api/v1/jobs/batch", two); w.Code != http.StatusAccepted {
		t.Fatalf("a batch of 2 within 3/min: %d %s", w.Code, w.Body)
	}
	if w := send("192.0.2.1", "/api/v1/jobs/batch", two); w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") == "" || !strings.Contains(w.Body.String(), "counts as 2 runs") {
		t.Errorf("a second batch of 2 (1 run left): %d %s", w.Code, w.Body)
	}
	four := `{"submissions":[{"language_id":71,"source_code":"x"},{"language_id":71,"source_code":"x"},{"language_id":71,"source_code":"x"},{"language_id":71,"source_code":"x"}]}`
	if w := send("192.0.2.2", "/judge0/submissions/batch", four); w.Code != http.StatusTooManyRequests || !strings.Contains(w.Body.String(), "send smaller batches") {
		t.Errorf("a Judge0 batch of 4 under 3/min: %d %s", w.Code, w.Body)
	}
}
