package remote

import (
	"context"
	"testing"
)

// The server bounds every run's total output, which bounds the Result it holds while answering:
// a request asking no budget, or a larger one, gets the server's; a smaller one stands; a
// negative ServerOptions.OutputBudget leaves the client's own.
func TestServerOutputBudget(t *testing.T) {
	for _, tt := range []struct {
		server, asked, want int64
	}{
		{0, 0, DefaultServerOutputBudget},
		{0, 1 << 40, DefaultServerOutputBudget},
		{0, 4096, 4096},
		{1 << 20, 0, 1 << 20},
		{-1, 0, 0},
		{-1, 1 << 40, 1 << 40},
	} {
		f := newFake(1, 0)
		addr, _ := startServer(t, f, ServerOptions{OutputBudget: tt.server})
		c := dial(t, addr, Options{})
		req := script("out x")
		req.OutputBudget = tt.asked
		if _, err := c.Run(context.Background(), req, nil); err != nil {
			t.Fatal(err)
		}
		if got := f.Requests()[0].OutputBudget; got != tt.want {
			t.Errorf("server %d, asked %d: the run got budget %d, want %d", tt.server, tt.asked, got, tt.want)
		}
	}
}
