package languages

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Toolchain is what detection found for one language on this host.
type Toolchain struct {
	Available bool
	Version   string // "" when unknown
	Missing   string // when !Available: what is missing and how to install it
}

// detectTimeout bounds one version command; detectParallel bounds how many run at once;
// detectRetry is how long an answer whose version command timed out is kept before the
// command is asked again (in the background).
const (
	detectTimeout  = 20 * time.Second
	detectParallel = 8
	detectRetry    = time.Minute
)

// detection is one language's cached detection.
type detection struct {
	mu         sync.Mutex
	done       bool
	tc         Toolchain
	until      time.Time // when tc is asked again; zero for an answer kept for the life of the Set
	refreshing bool      // a background detection runs for tc
}

// keep records a finished detection's answer: for the life of the Set, or for retry when its
// version command timed out.
func (d *detection) keep(tc Toolchain, timedOut bool, retry time.Duration) {
	d.done, d.tc, d.until = true, tc, time.Time{}
	if timedOut {
		d.until = time.Now().Add(retry)
	}
}

// Detect finds which toolchains exist on this host and their versions (see Toolchain), for
// every runtime of every language at once, a few version commands at a time. The map, keyed by
// each runtime's Key (the language ID for a default runtime), is the caller's own.
func (s *Set) Detect(ctx context.Context) map[string]Toolchain {
	var (
		mu    sync.Mutex
		found = make(map[string]Toolchain, len(s.defs))
		wg    sync.WaitGroup
		sem   = make(chan struct{}, detectParallel)
	)
	for _, l := range s.defs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
			case <-ctx.Done():
			}
			tc := s.ToolchainOf(ctx, l)
			mu.Lock()
			found[l.Key()] = tc
			mu.Unlock()
		}()
	}
	wg.Wait()
	return found
}

// Toolchain finds whether the language id's toolchain exists on this host, and its version:
// every program the language needs (Programs) must be an executable file in its SearchPath,
// and its version command runs on the host, bounded by a timeout and by ctx. The answer is
// cached in the Set, so each version command runs at most once per Set; concurrent callers
// for the same language wait for the first. When ctx ends first, the partial answer is returned
// and not cached; when the version command times out (a loaded host), the answer without a
// version is kept only a short while (detectRetry): the first caller after that still gets it at
// once, and the command is asked again in the background for the callers after. name is an id or alias (see Lookup) or a runtime's Key ("javascript/bun");
// an unknown name is not available.
func (s *Set) Toolchain(ctx context.Context, name string) Toolchain {
	l, ok := s.ByKey(name)
	if !strings.Contains(name, "/") {
		l, ok = s.Lookup(name)
	}
	if !ok {
		return Toolchain{Missing: fmt.Sprintf("unknown language %q", name)}
	}
	return s.ToolchainOf(ctx, l)
}

// ToolchainOf is Toolchain for one runtime of this Set.
func (s *Set) ToolchainOf(ctx context.Context, l *Language) Toolchain {
	d := s.detected[l.Key()]
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.done {
		if !d.until.IsZero() && !time.Now().Before(d.until) && !d.refreshing {
			d.refreshing = true
			go s.redetect(l, d)
		}
		return d.tc
	}
	tc, timedOut := detectOne(ctx, l, s.versionTimeout)
	if ctx.Err() == nil {
		d.keep(tc, timedOut, s.versionRetry)
	}
	return tc
}

// redetect asks again for an answer whose version command timed out, in the background.
func (s *Set) redetect(l *Language, d *detection) {
	tc, timedOut := detectOne(context.Background(), l, s.versionTimeout)
	d.mu.Lock()
	d.keep(tc, timedOut, s.versionRetry)
	d.refreshing = false
	d.mu.Unlock()
	if s.redetected != nil {
		s.redetected()
	}
}

// detectOne checks one language's programs and, when they are all there, asks its version;
// timedOut says the version command outlived its timeout.
func detectOne(ctx context.Context, l *Language, timeout time.Duration) (tc Toolchain, timedOut bool) {
	searchPath := l.SearchPath()
	for _, p := range l.Programs() {
		if _, err := lookPath(p, searchPath); err != nil {
			return Toolchain{Missing: fmt.Sprintf("%s was not found (searched %s); install with: %s", p, searchPath, l.Package)}, false
		}
	}
	if ctx.Err() != nil {
		return Toolchain{Available: true}, false
	}
	v, err := l.cachedVersion(ctx, timeout) // askVersion, answers kept on disk a while
	if err != nil && ctx.Err() == nil && !errors.Is(err, errVersionTimeout) && contains(l.Programs(), l.Version[0]) {
		// The toolchain's own program fails even to say its version: it is broken (a rustup
		// proxy without a default toolchain, a launcher whose runtime is gone).
		return Toolchain{Missing: fmt.Sprintf("%s is installed but does not work: %v; reinstall with: %s", l.Version[0], err, l.Package)}, false
	}
	return Toolchain{Available: true, Version: v}, errors.Is(err, errVersionTimeout)
}

// errVersionTimeout means the version command took longer than its timeout: on a loaded host
// that says nothing about whether the toolchain works, so it stays available, version unknown.
var errVersionTimeout = errors.New("the version command timed out")

// askVersion runs the version command with the language's env (PATH = SearchPath) on top of
// this process's, and picks the version out of its output (stdout, then stderr).
func (l *Language) askVersion(ctx context.Context, timeout time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	prog, err := lookPath(l.Version[0], l.SearchPath())
	if err != nil {
		return "", err
	}
	// A version command may leave files behind (erl writes erl_crash.dump): run it in a
	// folder of its own, never in the caller's working directory.
	dir, err := os.MkdirTemp("", "sandrun-version-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	cmd := exec.CommandContext(ctx, prog, l.Version[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), append([]string{"PATH=" + l.SearchPath()}, l.Env...)...)
	cmd.Stdin = nil
	var out capped
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = time.Second
	ownGroup(cmd)
	if err := cmd.Run(); err != nil {
		if ctx.Err() == context.DeadlineExceeded {
			return "", fmt.Errorf("%s: %w after %v", strings.Join(l.Version, " "), errVersionTimeout, timeout)
		}
		first, _, _ := strings.Cut(strings.TrimSpace(out.String()), "\n")
		if first != "" {
			return "", fmt.Errorf("%s: %s", strings.Join(l.Version, " "), first)
		}
		return "", fmt.Errorf("%s: %w", strings.Join(l.Version, " "), err)
	}
	return l.ParseVersion(out.String()), nil
}

// ParseVersion picks the version out of the version command's output: VersionRegex's first
// group, else the first non-empty line; "" when the regex does not match.
func (l *Language) ParseVersion(output string) string {
	if l.versionRe != nil {
		m := l.versionRe().FindStringSubmatch(output)
		if m == nil {
			return ""
		}
		return strings.TrimSpace(m[1])
	}
	for _, line := range strings.Split(output, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			return line
		}
	}
	return ""
}

// lookPath finds an executable file named prog in searchPath ("a:b:c"), or prog itself when it
// contains a slash.
func lookPath(prog, searchPath string) (string, error) {
	if strings.Contains(prog, "/") {
		if isExecutable(prog) {
			return prog, nil
		}
		return "", fmt.Errorf("%s: not an executable file", prog)
	}
	for _, dir := range filepath.SplitList(searchPath) {
		if dir == "" {
			continue
		}
		if p := filepath.Join(dir, prog); isExecutable(p) {
			return p, nil
		}
	}
	return "", errors.New(prog + ": not found")
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// capped keeps the first 64 KiB written to it and drops the rest.
type capped struct{ bytes.Buffer }

func (c *capped) Write(p []byte) (int, error) {
	if room := 64<<10 - c.Len(); room > 0 {
		c.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}
