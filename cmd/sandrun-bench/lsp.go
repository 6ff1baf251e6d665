package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// lspClient speaks just enough LSP to `sandrun lsp` over its stdin and stdout.
type lspClient struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader

	mu sync.Mutex
	id int
}

type lspMsg struct {
	ID     *json.RawMessage `json:"id,omitempty"`
	Method string           `json:"method,omitempty"`
	Result json.RawMessage  `json:"result,omitempty"`
	Error  *struct {
		Message string `json:"message"`
	} `json:"error,omitempty"`
}

func startLSP(bin string) (*lspClient, error) {
	cmd := exec.Command(bin, "lsp")
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &lspClient{cmd: cmd, in: in, out: bufio.NewReaderSize(out, 1<<16)}
	if _, err := c.call("initialize", map[string]any{"processId": os.Getpid(), "rootUri": nil, "capabilities": map[string]any{}}); err != nil {
		c.stop()
		return nil, err
	}
	if err := c.send(map[string]any{"jsonrpc": "2.0", "method": "initialized", "params": map[string]any{}}); err != nil {
		c.stop()
		return nil, err
	}
	return c, nil
}

// run runs a python3 `pass` buffer with sandrun.run and checks the result.
func (c *lspClient) run() error {
	res, err := c.call("workspace/executeCommand", map[string]any{"command": "sandrun.run",
		"arguments": []any{map[string]any{"uri": "file:///bench/main.py", "languageId": "python", "text": "pass\n"}}})
	if err != nil {
		return err
	}
	var r struct {
		Result struct {
			Status string `json:"status"`
		} `json:"result"`
	}
	if err := json.Unmarshal(res, &r); err != nil || r.Result.Status != "ok" {
		return fmt.Errorf("sandrun.run: %v %s", err, res)
	}
	return nil
}

// call sends a request and reads until its answer, answering the server's own requests with
// null and skipping notifications.
func (c *lspClient) call(method string, params any) (json.RawMessage, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.id++
	id := c.id
	if err := c.send(map[string]any{"jsonrpc": "2.0", "id": id, "method": method, "params": params}); err != nil {
		return nil, err
	}
	for {
		m, err := c.read()
		if err != nil {
			return nil, err
		}
		switch {
		case m.ID != nil && m.Method != "":
			if err := c.send(map[string]any{"jsonrpc": "2.0", "id": m.ID, "result": nil}); err != nil {
				return nil, err
			}
		case m.ID != nil && string(*m.ID) == strconv.Itoa(id):
			if m.Error != nil {
				return nil, fmt.Errorf("%s: %s", method, m.Error.Message)
			}
			return m.Result, nil
		}
	}
}

func (c *lspClient) send(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(c.in, "Content-Length: %d\r\n\r\n%s", len(b), b)
	return err
}

func (c *lspClient) read() (*lspMsg, error) {
	n := -1
	for {
		line, err := c.out.ReadString('\n')
		if err != nil {
			return nil, fmt.Errorf("lsp: %w", err)
		}
		line = strings.TrimSpace(line)
		if line == "" {
			break
		}
		if v, ok := strings.CutPrefix(line, "Content-Length:"); ok {
			n, _ = strconv.Atoi(strings.TrimSpace(v))
		}
	}
	if n < 0 {
		return nil, fmt.Errorf("lsp: a message without Content-Length")
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(c.out, b); err != nil {
		return nil, fmt.Errorf("lsp: %w", err)
	}
	m := new(lspMsg)
	return m, json.Unmarshal(b, m)
}

func (c *lspClient) stop() {
	c.in.Close()
	done := make(chan struct{})
	go func() { c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		c.cmd.Process.Kill()
		<-done
	}
}
