package local_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/executor/local"
	"github.com/sandrun/sandrun/executor/sandbox/sandboxtest"
	"github.com/sandrun/sandrun/languages"
)

func TestMain(m *testing.M) { sandboxtest.Main(m) }

// minLanguagesRun is how many languages and runtimes must pass end to end; CI gets them from
// .ci/install.d/10-toolchains.sh and 15-more-toolchains.sh.
const minLanguagesRun = 70

// sumCases feed each language's testdata/languages/<id> program; it prints the sum of the
// whitespace-separated integers on stdin. The second case has a tab, a line break with leading
// space and no final newline; its sum fits in a byte for the Brainfuck program.
var sumCases = []struct{ stdin, want string }{
	{"1 2 3 4\n", "10"},
	{"30 12\n 100\t7", "149"},
}

// e2eWall is the wall clock of every compile and run here, in place of the default 2×CPU+1s:
// on a loaded CI machine (load average 40-90 on 2 cores) Go's cold compile and a JVM's start
// passed their default wall clocks. The CPU limits stay each language's own, so the test still
// shows that every language fits them; the wall clock only catches hangs.
const e2eWall = 10 * 60 * 1000

// e2eLimits gives req the wall clocks of e2eWall.
func e2eLimits(req executor.Request) executor.Request {
	req.Limits.WallTimeMs, req.CompileLimits.WallTimeMs = e2eWall, e2eWall
	return req
}

// TestLanguagesEndToEnd compiles and runs every language's sum program, and its hello-world
// program (the definition's hello, which the browser page shows), with each of the language's
// runtimes (the same programs for all), through the local executor and its real sandbox, and
// reports which runtimes ran and which were skipped because this host lacks their toolchain.
// Any installed runtime that gives a wrong answer fails. With -short, compiled ones are skipped.
func TestLanguagesEndToEnd(t *testing.T) {
	set, err := languages.Load()
	if err != nil {
		t.Fatal(err)
	}
	ex, err := local.New(local.Options{Languages: set, QueueMax: len(set.Definitions()),
		Caps: local.Caps{Max: executor.Limits{WallTimeMs: e2eWall}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ex.Close() })
	// A bound for hangs: throttled to 0.15 of a core, as on a loaded CI machine, the test took 10 minutes.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	infos, err := ex.Languages(ctx)
	if err != nil {
		t.Fatal(err)
	}

	var (
		mu                   sync.Mutex
		ran, skipped, failed []string
		eligible             int
	)
	note := func(list *[]string, s string) {
		mu.Lock()
		defer mu.Unlock()
		*list = append(*list, s)
	}
	t.Run("lang", func(t *testing.T) {
		for _, info := range infos {
			for _, rt := range info.Runtimes {
				lang, _ := set.Runtime(info.ID, rt.Runtime)
				name := lang.Key()
				switch {
				case !rt.Available:
					note(&skipped, name)
					continue
				case testing.Short() && lang.Compiled():
					continue
				}
				eligible++
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					msg := runSum(ctx, t, ex, lang, rt.Version)
					if msg == "" {
						msg = runHello(ctx, ex, lang)
					}
					if msg != "" {
						note(&failed, name)
						t.Error(msg)
						return
					}
					note(&ran, name)
				})
			}
		}
	})
	sort.Strings(ran)
	sort.Strings(skipped)
	sort.Strings(failed)
	t.Logf("ran: %s / skipped (no toolchain): %s / wrong: %s", list(ran), list(skipped), list(failed))
	// The minimum holds for a whole run, not under -short or a -run pattern that picks a few.
	if !testing.Short() && len(ran)+len(failed) == eligible && len(ran) < minLanguagesRun {
		t.Errorf("only %d languages and runtimes ran end to end, want at least %d: install toolchains with .ci/install.d/10-toolchains.sh", len(ran), minLanguagesRun)
	}
}

// runSum runs lang's sum program on sumCases and says what is wrong, or "" when all is right.
func runSum(ctx context.Context, t *testing.T, ex executor.Executor, lang *languages.Language, version string) string {
	src, err := os.ReadFile(filepath.Join("..", "..", "testdata", "languages", lang.ID, lang.SourceFile))
	if err != nil {
		return err.Error()
	}
	req := executor.Request{
		Language: lang.ID, Runtime: lang.Runtime,
		Files: []executor.File{{Name: lang.SourceFile, Content: src}},
	}
	for _, c := range sumCases {
		req.Cases = append(req.Cases, executor.Case{Stdin: []byte(c.stdin)})
	}
	res, err := ex.Run(ctx, e2eLimits(req), nil)
	if err != nil {
		return fmt.Sprintf("Run: %v", err)
	}
	if c := res.Compile; c != nil {
		t.Logf("compile: %s in %d ms CPU, %d ms wall, %d KiB", c.Status, c.CPUTimeMs, c.WallTimeMs, c.MemoryKiB)
		if c.Status != executor.StatusOK {
			return fmt.Sprintf("compile %s: %s\n%s%s", c.Status, c.Message, c.Stdout, c.Stderr)
		}
	}
	if res.Version != version || res.Runtime != lang.Runtime {
		return fmt.Sprintf("Result runtime %q version %q, want %q %q as Languages says", res.Runtime, res.Version, lang.Runtime, version)
	}
	if len(res.Cases) != len(sumCases) {
		return fmt.Sprintf("status %s (%s): %d case results, want %d", res.Status, res.Message, len(res.Cases), len(sumCases))
	}
	var wrong []string
	for i, c := range sumCases {
		r := res.Cases[i].Result
		t.Logf("case %d: %s in %d ms CPU, %d ms wall, %d KiB", i+1, r.Status, r.CPUTimeMs, r.WallTimeMs, r.MemoryKiB)
		if got := strings.TrimSpace(r.Stdout); r.Status != executor.StatusOK || got != c.want {
			wrong = append(wrong, fmt.Sprintf("stdin %q: status %s (%s), stdout %q, want %q; stderr:\n%s",
				c.stdin, r.Status, r.Message, r.Stdout, c.want, r.Stderr))
		}
	}
	return strings.Join(wrong, "\n")
}

// runHello runs the definition's hello-world program and says what is wrong, or "".
func runHello(ctx context.Context, ex executor.Executor, lang *languages.Language) string {
	res, err := ex.Run(ctx, e2eLimits(executor.Request{
		Language: lang.ID, Runtime: lang.Runtime,
		Files: []executor.File{{Name: lang.SourceFile, Content: []byte(lang.Hello)}},
	}), nil)
	switch {
	case err != nil:
		return fmt.Sprintf("hello: Run: %v", err)
	case res.Status != executor.StatusOK || strings.TrimSpace(res.Stdout) != "Hello, world!":
		compile := ""
		if res.Compile != nil {
			compile = res.Compile.Stdout + res.Compile.Stderr
		}
		return fmt.Sprintf("hello: status %s (%s), stdout %q, want \"Hello, world!\"; stderr:\n%s%s", res.Status, res.Message, res.Stdout, compile, res.Stderr)
	}
	return ""
}

func list(ids []string) string {
	if len(ids) == 0 {
		return "none"
	}
	return fmt.Sprintf("%d (%s)", len(ids), strings.Join(ids, " "))
}
