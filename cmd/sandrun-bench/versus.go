package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/sandrun/sandrun/executor"
)

// versus: the same trivial programs bare, through `sandrun serve` and, when GOJUDGE names a
// go-judge binary (github.com/criyle/go-judge, built by whoever runs the bench; never part of
// this repository or CI), through go-judge: each through its own HTTP API, one run at a time
// (median) and with versusConc runs at once. Printed as a table of its own.
func (w *workloads) versus(ctx context.Context, c config) (*versusTable, error) {
	serve, addr, err := startServer(ctx, c.bin, `url=http://(\S+)`, "serve", "--addr", "127.0.0.1:0", "--rate", "off", "--log-format", "text")
	if err != nil {
		return nil, err
	}
	defer serve.stop()
	if resp, err := http.Get("http://" + addr + "/api/v1/languages"); err == nil { // waits for detection
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	var judge *goJudge
	if bin := os.Getenv("GOJUDGE"); bin != "" {
		if judge, err = startGoJudge(ctx, bin); err != nil {
			return nil, err
		}
		defer judge.stop()
	}
	vt := &versusTable{judge: judge != nil, judgeVersion: judgeVersion(judge)}
	programs := []struct {
		name      string
		argv      []string
		lang, src string
	}{
		{"`sh -c :`", []string{"/bin/sh", "-c", ":"}, "sh", ":\n"},
		{"`python3 -c pass`", []string{w.python, "-c", "pass"}, "python", "pass\n"},
	}
	for _, p := range programs {
		fns := []func() error{bare(w.dir, p.argv...), sandrunHTTP("http://"+addr+"/api/v1/run", p.lang, p.src)}
		if judge != nil {
			fns = append(fns, judge.run(p.argv))
		}
		for _, fn := range fns[1:] {
			if err := warm(fn); err != nil {
				return nil, err
			}
		}
		meds, err := interleaved(c.n, fns...)
		if err != nil {
			return nil, err
		}
		var rates []float64
		for _, fn := range fns {
			if _, err := rate(ctx, versusConc, 2*versusConc, fn); err != nil { // warm up
				return nil, err
			}
			r, err := rate(ctx, versusConc, c.through, fn)
			if err != nil {
				return nil, err
			}
			rates = append(rates, r)
		}
		vt.add(p.name, meds, rates)
	}
	return vt, nil
}

// versusConc is how many runs go at once for the throughput figures.
const versusConc = 4

// sandrunHTTP posts a run of src in lang to `sandrun serve` and checks the Result.
func sandrunHTTP(url, lang, src string) func() error {
	body, _ := json.Marshal(map[string]string{"language": lang, "source": src})
	return func() error {
		resp, err := http.Post(url, "application/json", bytes.NewReader(body))
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		var r executor.Result
		if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
			return err
		}
		if resp.StatusCode != 200 || r.Status != executor.StatusOK {
			return fmt.Errorf("sandrun: %s, %s %s", resp.Status, r.Status, r.Message)
		}
		return nil
	}
}

// goJudge is a go-judge server started for the bench.
type goJudge struct {
	cmd  *exec.Cmd
	addr string
}

// startGoJudge starts bin on a free loopback port, with its defaults otherwise (one run per CPU
// at a time, like sandrun's executor), and waits until it answers.
func startGoJudge(ctx context.Context, bin string) (*goJudge, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.CommandContext(ctx, bin, "-http-addr", addr, "-silent")
	var log bytes.Buffer // what it says when it fails to start; its chatter otherwise stays out of the table
	cmd.Stdout, cmd.Stderr = io.Discard, &log
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("go-judge: %w", err)
	}
	j := &goJudge{cmd: cmd, addr: addr}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if resp, err := http.Get("http://" + addr + "/version"); err == nil {
			resp.Body.Close()
			return j, nil
		}
		if time.Now().After(deadline) {
			j.stop()
			return nil, fmt.Errorf("go-judge at %s did not answer within 30s: %.2000s", addr, log.String())
		}
	}
}

func (j *goJudge) stop() {
	_ = j.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { j.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		j.cmd.Process.Kill()
		<-done
	}
}

// run posts argv to go-judge's /run with limits like sandrun's defaults and checks it was
// accepted.
func (j *goJudge) run(argv []string) func() error {
	body, _ := json.Marshal(map[string]any{"cmd": []map[string]any{{
		"args": argv, "env": []string{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/tmp"},
		"files":    []map[string]any{{"content": ""}, {"name": "stdout", "max": 1 << 20}, {"name": "stderr", "max": 1 << 20}},
		"cpuLimit": int64(2 * time.Second), "clockLimit": int64(5 * time.Second),
		"memoryLimit": 256 << 20, "procLimit": 64,
	}}})
	url := "http://" + j.addr + "/run"
	return func() error {
		resp, err := http.Post(url, "application/json", bytes.NewReader(body))
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		var rs []struct {
			Status string `json:"status"`
			Error  string `json:"error"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&rs); err != nil {
			return fmt.Errorf("go-judge: %s: %w", resp.Status, err)
		}
		if len(rs) != 1 || rs[0].Status != "Accepted" {
			return fmt.Errorf("go-judge: %s: %+v", resp.Status, rs)
		}
		return nil
	}
}

// judgeVersion is what go-judge's /version says, for the table's heading.
func judgeVersion(j *goJudge) string {
	if j == nil {
		return ""
	}
	resp, err := http.Get("http://" + j.addr + "/version")
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	var v struct {
		Version string `json:"buildVersion"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&v)
	if v.Version == "(devel)" { // built from a source tree: no version to tell
		return ""
	}
	return v.Version
}

// versusTable is the side-by-side table.
type versusTable struct {
	judge        bool
	judgeVersion string
	rows         [][]string
}

// add adds the latency and throughput rows of one program: bare, sandrun, go-judge.
func (v *versusTable) add(program string, meds []time.Duration, rates []float64) {
	lat := []string{program + ", median latency", ms(meds[0])}
	thr := []string{fmt.Sprintf("%s, throughput at %d concurrent", program, versusConc), fmt.Sprintf("%.0f runs/s", rates[0])}
	for i := 1; i < len(meds); i++ {
		lat = append(lat, fmt.Sprintf("%s (+%s)", ms(meds[i]), ms(meds[i]-meds[0])))
		thr = append(thr, fmt.Sprintf("%.0f runs/s (%.2f× bare)", rates[i], rates[i]/rates[0]))
	}
	v.rows = append(v.rows, lat, thr)
	fmt.Fprintf(stderrLog, "  %s\n  %s\n", strings.Join(lat, " | "), strings.Join(thr, " | "))
}

func (v *versusTable) print(w io.Writer) {
	head := "| program | bare | sandrun serve |"
	rule := "| --- | ---: | ---: |"
	if v.judge {
		name := "go-judge"
		if v.judgeVersion != "" {
			name += " " + v.judgeVersion
		}
		head += " " + name + " |"
		rule += " ---: |"
	}
	fmt.Fprintf(w, "\nThrough each one's HTTP API (`sandrun serve`: POST /api/v1/run%s):\n\n%s\n%s\n", map[bool]string{true: "; go-judge: POST /run", false: ""}[v.judge], head, rule)
	for _, r := range v.rows {
		fmt.Fprintf(w, "| %s |\n", strings.Join(r, " | "))
	}
}
