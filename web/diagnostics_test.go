package web

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket/wsjson"
	"github.com/google/go-cmp/cmp"

	"github.com/sandrun/sandrun/executor"
)

// TestLocalDiagnostics: a Python traceback on the real sandbox comes back as diagnostics from
// POST /api/v1/run and in the WebSocket's last message, while the Piston answer for the same
// program stays as Piston's (no diagnostics field).
func TestLocalDiagnostics(t *testing.T) {
	url := needLocal(t, "python")
	src := "def ratio(a, b):\n    return a / b\n\nprint(ratio(1, 0))\n"
	want := []executor.Diagnostic{{File: "main.py", Line: 2, Column: 12, EndLine: 2, EndColumn: 17, Severity: "error",
		Message: "ZeroDivisionError: division by zero", Source: "python3"}}

	var res executor.Result
	body, _ := json.Marshal(map[string]any{"language": "python", "source": src})
	if code := post(t, url+"/api/v1/run", string(body), &res); code != 200 {
		t.Fatalf("POST /api/v1/run: %d", code)
	}
	if diff := cmp.Diff(want, res.Diagnostics); diff != "" {
		t.Errorf("/api/v1/run diagnostics (-want +got):\n%s", diff)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // a hang only
	defer cancel()
	srv, _ := localServer()
	conn := dialStream(t, ctx, srv, nil)
	wsjson.Write(ctx, conn, map[string]any{"language": "python", "source": src})
	msgs := readUntilClosed(t, ctx, conn)
	if last := msgs[len(msgs)-1]; last.Type != "result" || last.Result == nil {
		t.Fatalf("last message %+v", last)
	} else if diff := cmp.Diff(want, last.Result.Diagnostics); diff != "" {
		t.Errorf("WebSocket result diagnostics (-want +got):\n%s", diff)
	}

	var piston map[string]any
	body, _ = json.Marshal(map[string]any{"language": "python", "version": "*", "files": []map[string]string{{"content": src}}})
	if code := post(t, url+"/api/v2/execute", string(body), &piston); code != 200 {
		t.Fatalf("POST /api/v2/execute: %d", code)
	}
	raw, _ := json.Marshal(piston)
	if strings.Contains(string(raw), "diagnostics") {
		t.Errorf("the Piston answer grew a diagnostics field: %s", raw)
	}
}
