package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// peakRSS reads a process's peak resident memory (VmHWM) in bytes.
func peakRSS(t *testing.T, pid int) int64 {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("no /proc here: %v", err)
	}
	m := regexp.MustCompile(`VmHWM:\s+(\d+) kB`).FindSubmatch(data)
	if m == nil {
		t.Fatalf("no VmHWM in /proc/%d/status", pid)
	}
	kb, _ := strconv.ParseInt(string(m[1]), 10, 64)
	return kb << 10
}

// countingReader counts what passes through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// TestServeOutputBomb: one request of 32 cases, each writing 16 MiB of control bytes (which
// JSON makes six times larger), once took `sandrun serve` to 10 GiB and answered 3 GiB. Now the
// request's output budget stops it, the answer says so, and the server's own peak memory stays
// under 1 GiB with an answer under 600 MiB.
func TestServeOutputBomb(t *testing.T) {
	if testing.Short() {
		t.Skip("runs 32 real programs in the sandbox; skipped with -short")
	}
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 is not installed here")
	}
	base, cmd := startServe(t, "--rate", "off")
	prog := "import sys\nb = b'\\x01' * (8 << 20)\nsys.stdout.buffer.write(b)\nsys.stdout.flush()\nsys.stderr.buffer.write(b)\n"
	cases := make([]map[string]string, 32)
	for i := range cases {
		cases[i] = map[string]string{"stdin": ""}
	}
	body, _ := json.Marshal(map[string]any{
		"language": "python", "source": prog, "cases": cases,
		"limits": map[string]any{"output_kib": 16384, "wall_time_ms": 20000, "cpu_time_ms": 10000},
	})
	resp, err := http.Post(base+"/api/v1/run", "application/json", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	cr := &countingReader{r: resp.Body}
	var res struct {
		Status  string `json:"status"`
		Message string `json:"message"`
		Cases   []struct {
			Status  string `json:"status"`
			Message string `json:"message"`
		} `json:"cases"`
	}
	if err := json.NewDecoder(cr).Decode(&res); err != nil {
		t.Fatalf("status %d: decoding the answer: %v", resp.StatusCode, err)
	}
	io.Copy(io.Discard, cr)
	peak := peakRSS(t, cmd.Process.Pid)
	t.Logf("answer %d MiB, server peak RSS %d MiB, status %s: %s", cr.n>>20, peak>>20, res.Status, res.Message)

	if resp.StatusCode != 200 || res.Status != "output_limit" || len(res.Cases) != 32 {
		t.Fatalf("status %d, result %s with %d cases; want 200, output_limit, 32 cases", resp.StatusCode, res.Status, len(res.Cases))
	}
	if last := res.Cases[31]; last.Status != "output_limit" || !strings.Contains(last.Message, "budget") {
		t.Errorf("the last case: %s %q; want output_limit saying the request's budget was spent", last.Status, last.Message)
	}
	if peak >= 1<<30 {
		t.Errorf("serve's peak resident memory is %d MiB, want under 1 GiB", peak>>20)
	}
	if cr.n >= 600<<20 {
		t.Errorf("the answer is %d MiB, want under 600 MiB", cr.n>>20)
	}
}
