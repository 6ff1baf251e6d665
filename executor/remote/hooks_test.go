package remote

import (
	"context"
	"testing"

	"github.com/sandrun/sandrun/executor/hooks"
)

// TestHooksSeeTheClient: hooks around the server's executor see the client's address.
func TestHooksSeeTheClient(t *testing.T) {
	got := make(chan string, 1)
	chain := hooks.New(newFake(2, 2), nil, []hooks.Post{func(d hooks.Done) { got <- d.Client }})
	defer chain.Close()
	addr, _ := startServer(t, chain, ServerOptions{})
	c := dial(t, addr, Options{})
	if _, err := c.Run(context.Background(), script("out hi"), nil); err != nil {
		t.Fatal(err)
	}
	if client := <-got; client != "127.0.0.1" {
		t.Errorf("the post hook saw client %q, want 127.0.0.1", client)
	}
}
