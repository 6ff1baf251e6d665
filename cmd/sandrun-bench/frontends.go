package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sandrun/sandrun/executor/remote"
)

// frontends: what `sandrun serve` (HTTP), `sandrun executor` (TCP) and `sandrun lsp` add to a
// run of the local executor in this process, and the memory of `sandrun serve`.
func (w *workloads) frontends(ctx context.Context, t *table, c config) error {
	if _, err := os.Stat(c.bin); err != nil {
		return fmt.Errorf("the sandrun binary %s: %v (run make build, or pass -sandrun)", c.bin, err)
	}
	local := viaExecutor(ctx, w.local, "python", "pass\n", "")
	serve, addr, err := startServer(ctx, c.bin, `url=http://(\S+)`, "serve", "--addr", "127.0.0.1:0", "--rate", "off", "--log-format", "text")
	if err != nil {
		return err
	}
	defer serve.stop()
	post := sandrunHTTP("http://"+addr+"/api/v1/run", "python", "pass\n")
	// A front end looks for every installed toolchain when it starts (seconds of CPU here);
	// listing the languages waits for that, so it does not weigh on the figures.
	if resp, err := http.Get("http://" + addr + "/api/v1/languages"); err == nil {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	if err := warm(post); err != nil {
		return err
	}
	idle, idleTree := rss(serve.cmd.Process.Pid)
	if !c.skip["frontends"] {
		lh, h, err := paired(c.n, local, post)
		if err != nil {
			return err
		}
		t.add("HTTP: POST /api/v1/run to `sandrun serve`, python3 `pass` (median)", ms(lh)+" (in process)", ms(h), "+"+ms(h-lh))

		ex, eaddr, err := startServer(ctx, c.bin, `listening on tcp://(\S+)`, "executor", "--listen", "127.0.0.1:0")
		if err != nil {
			return err
		}
		defer ex.stop()
		client, err := remote.Dial(ctx, "tcp://"+eaddr, remote.Options{})
		if err != nil {
			return err
		}
		defer client.Close()
		tcpRun := viaExecutor(ctx, client, "python", "pass\n", "")
		if _, err := client.Languages(ctx); err != nil {
			return err
		}
		if err := warm(tcpRun); err != nil {
			return err
		}
		lt, tcp, err := paired(c.n, local, tcpRun)
		if err != nil {
			return err
		}
		t.add("TCP: `sandrun executor` over 127.0.0.1, python3 `pass` (median)", ms(lt)+" (in process)", ms(tcp), "+"+ms(tcp-lt))

		l, err := startLSP(c.bin)
		if err != nil {
			return err
		}
		defer l.stop()
		if _, err := l.call("workspace/executeCommand", map[string]any{"command": "sandrun.languages"}); err != nil {
			return err
		}
		if err := warm(l.run); err != nil {
			return err
		}
		lo, lsp, err := paired(c.n, local, l.run)
		if err != nil {
			return err
		}
		t.add("LSP: `sandrun lsp` workspace/executeCommand sandrun.run, python3 `pass` (median)", ms(lo)+" (in process)", ms(lsp), "+"+ms(lsp-lo))
	}
	if c.skip["memory"] {
		return nil
	}
	// Under load: 2×cores clients posting runs for a few seconds; the peak is kept.
	var peak, peakTree int64
	loadCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for i := 0; i < 2*runtime.NumCPU(); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for loadCtx.Err() == nil {
				_ = post()
			}
		}()
	}
	for loadCtx.Err() == nil {
		p, pt := rss(serve.cmd.Process.Pid)
		peak, peakTree = max(peak, p), max(peakTree, pt)
		time.Sleep(50 * time.Millisecond)
	}
	wg.Wait()
	t.add("memory (RSS) of `sandrun serve`: idle vs under load", mib(idle)+" (idle)", mib(peak)+" (load)", "")
	t.add("… with its sandboxes (inits and waiting command processes, each counted in full)", mib(idleTree)+" (idle)", mib(peakTree)+" (load)", "")
	return nil
}

// warm runs fn a few times: toolchain detection, the pool and the page cache settle.
func warm(fn func() error) error {
	for i := 0; i < 3; i++ {
		if err := fn(); err != nil {
			return err
		}
	}
	return nil
}

// server is a sandrun subcommand running in the background.
type server struct{ cmd *exec.Cmd }

// startServer starts "sandrun args…" and waits for its stderr to match pattern, whose first
// group is returned (the address it listens on).
func startServer(ctx context.Context, bin, pattern string, args ...string) (*server, string, error) {
	cmd := exec.Command(bin, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, "", err
	}
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	s := &server{cmd: cmd}
	re := regexp.MustCompile(pattern)
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
	}()
	select {
	case addr := <-found:
		return s, addr, nil
	case <-time.After(30 * time.Second):
		s.stop()
		return nil, "", fmt.Errorf("sandrun %s did not say where it listens", args[0])
	}
}

func (s *server) stop() {
	_ = s.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-done
	}
}

// rss returns the resident memory of pid and of pid with all its descendants.
func rss(pid int) (own, tree int64) {
	children := map[int][]int{}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) > 1 {
			ppid, _ := strconv.Atoi(f[1])
			children[ppid] = append(children[ppid], p)
		}
	}
	own = vmRSS(pid)
	stack := []int{pid}
	for len(stack) > 0 {
		p := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		tree += vmRSS(p)
		stack = append(stack, children[p]...)
	}
	return own, tree
}

func vmRSS(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}
