package web

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/executor/executortest"
)

// runtimesExec is the shared fake with a JavaScript of three runtimes: Node.js (the default),
// Bun and Deno, and a TypeScript with Deno only installed (its default, tsc, is not).
func runtimesExec() *executortest.Fake {
	f := newFake(func(ctx context.Context, req executor.Request, onEvent func(executor.Event)) (executor.Result, error) {
		return executor.Result{Language: req.Language, Runtime: req.Runtime, Version: req.Version, Status: executor.StatusOK, Stdout: "OK\n"}, nil
	})
	f.Langs = []executor.LanguageInfo{
		{ID: "javascript", Name: "JavaScript (Node.js)", Version: "20.20.2", Runtime: "node", Aliases: []string{"js", "node"},
			Extensions: []string{".js"}, Available: true, Runtimes: []executor.RuntimeInfo{
				{Runtime: "node", Name: "Node.js", Version: "20.20.2", Aliases: []string{"js", "node"}, Default: true, Available: true},
				{Runtime: "bun", Name: "Bun", Version: "1.4.5", Aliases: []string{"bun"}, Available: true},
				{Runtime: "deno", Name: "Deno", Version: "2.9.6", Aliases: []string{"deno-js"}, Available: true},
			}},
		{ID: "typescript", Name: "TypeScript (Deno)", Version: "2.9.6", Runtime: "deno", Aliases: []string{"ts"},
			Extensions: []string{".ts"}, Available: true, Runtimes: []executor.RuntimeInfo{
				{Runtime: "tsc", Name: "tsc + Node.js", Aliases: []string{"ts"}, Default: true, Missing: "tsc was not found"},
				{Runtime: "deno", Name: "Deno", Version: "2.9.6", Aliases: []string{"deno", "deno-ts"}, Available: true},
			}},
	}
	return f
}

// TestPistonRuntimeEntries: one /api/v2/runtimes entry per installed runtime, with its runtime
// field and, for a runtime other than the default, its own aliases.
func TestPistonRuntimeEntries(t *testing.T) {
	s := newTestServer(t, runtimesExec(), Options{})
	w := do(t, s, "GET", "/api/v2/runtimes", "")
	var got []pistonRuntime
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, r := range got {
		lines = append(lines, r.Language+" "+r.Version+" "+r.Runtime+" "+strings.Join(r.Aliases, ","))
	}
	want := []string{
		"javascript 20.20.2 node js,node", "javascript 1.4.5 bun bun", "javascript 2.9.6 deno deno-js",
		"typescript 2.9.6 deno deno,deno-ts",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("runtimes:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
}

// TestRuntimeChoice: Piston's version picks among a language's runtimes, a runtime's alias
// names it, /api/v1/run takes "runtime", and a default that is not installed gives way.
func TestRuntimeChoice(t *testing.T) {
	tests := []struct {
		path, body, runtime, version string
		status                       int
	}{
		{"/api/v2/execute", `{"language":"javascript","version":"1.4.5","files":[{"content":"x"}]}`, "bun", "1.4.5", 200},
		{"/api/v2/execute", `{"language":"js","version":"20","files":[{"content":"x"}]}`, "node", "20.20.2", 200},
		{"/api/v2/execute", `{"language":"javascript","version":"*","files":[{"content":"x"}]}`, "node", "20.20.2", 200},
		{"/api/v2/execute", `{"language":"deno-js","version":"*","files":[{"content":"x"}]}`, "deno", "2.9.6", 200},
		{"/api/v2/execute", `{"language":"deno","version":"2.x","files":[{"content":"x"}]}`, "deno", "2.9.6", 200},
		{"/api/v2/execute", `{"language":"typescript","version":"*","files":[{"content":"x"}]}`, "deno", "2.9.6", 200},
		{"/api/v2/execute", `{"language":"javascript","version":"3.0.0","files":[{"content":"x"}]}`, "", "", 400},
		{"/api/v1/run", `{"language":"js","runtime":"bun","source":"x"}`, "bun", "1.4.5", 200},
		{"/api/v1/run", `{"language":"javascript","runtime":"Deno","version":"2","source":"x"}`, "deno", "2.9.6", 200},
		{"/api/v1/run", `{"language":"javascript","runtime":"rhino","source":"x"}`, "", "", 400},
		{"/api/v1/run", `{"language":"typescript","runtime":"tsc","source":"x"}`, "", "", 400},
	}
	for _, tt := range tests {
		ex := runtimesExec()
		s := newTestServer(t, ex, Options{})
		w := do(t, s, "POST", tt.path, tt.body)
		if w.Code != tt.status {
			t.Errorf("%s %s: HTTP %d, want %d: %s", tt.path, tt.body, w.Code, tt.status, w.Body)
			continue
		}
		if tt.status != 200 {
			continue
		}
		req := lastRequest(t, ex)
		if req.Runtime != tt.runtime || req.Version != tt.version {
			t.Errorf("%s %s: ran runtime %q version %q, want %q %q", tt.path, tt.body, req.Runtime, req.Version, tt.runtime, tt.version)
		}
	}
}
