package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
)

// TestStreamRequestTooLarge: a run request past --max-body over the WebSocket is answered as the
// HTTP routes answer it (an error message with 413 and the sentence), then a 1009 close; one of
// exactly --max-body bytes is read whole and runs.
func TestStreamRequestTooLarge(t *testing.T) {
	const max = 1024
	srv := httptest.NewServer(newTestServer(t, nil, Options{MaxBodyBytes: max}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // a hang only
	defer cancel()

	request := func(size int) string {
		head := `{"language":"python","source":"`
		return head + strings.Repeat("x", size-len(head)-2) + `"}`
	}
	conn := dialStream(t, ctx, srv, nil)
	if err := conn.Write(ctx, websocket.MessageText, []byte(request(max+1))); err != nil {
		t.Fatal(err)
	}
	var m streamOut
	if err := wsjson.Read(ctx, conn, &m); err != nil || m.Type != "error" || m.Code != http.StatusRequestEntityTooLarge ||
		m.Error != "request body is larger than 1 KiB; send at most that much" {
		t.Fatalf("answer %+v (%v); want an error with 413 and the sentence", m, err)
	}
	if _, _, err := conn.Read(ctx); websocket.CloseStatus(err) != websocket.StatusMessageTooBig {
		t.Errorf("then %v, want a close with 1009", err)
	}

	conn = dialStream(t, ctx, srv, nil)
	if err := conn.Write(ctx, websocket.MessageText, []byte(request(max))); err != nil {
		t.Fatal(err)
	}
	var first streamOut
	if err := wsjson.Read(ctx, conn, &first); err != nil || first.Type != "started" {
		t.Errorf("a request of exactly --max-body: %+v (%v); want it read and started", first, err)
	}
}
