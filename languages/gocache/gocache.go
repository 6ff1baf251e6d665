// Package gocache is the Go language's pre-warmed build cache, which the local executor lays
// under Go runs as a read-only overlay. It lives beside the language definitions because it is
// specific to Go; the executor only asks it for overlays.
//
// It is not a compile cache of programs (executor/compilecache) and runs no user code.
package gocache

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/sandrun/sandrun/internal/future"
	"github.com/sandrun/sandrun/languages"
)

// Cache is a pre-warmed Go build cache that Go runs see through an overlay (see Overlay):
// without it every sandbox starts with an empty GOCACHE and a hello world compiles fmt and
// everything under it again (~14 s of CPU).
//
// It is specific to Go, not a language-definition feature: the warm-up has to know the
// toolchain (what to build, that GOCACHE is where the output goes, that the cache is safe to
// share because the go command checks every entry by content hash).
//
// The warm-up runs the host's go command, the very toolchain the sandbox binds, on a hello
// world and the commonly used std packages: trusted code only, never a user's. Its output goes
// to a fresh dir under root (0700, the executor's own user), renamed into place when complete:
// root/<hash of go version and build settings>-<day>. A new day (or a new toolchain) warms a new
// one in the background, so the go command's own trim (every 24 h, at the end of a build) rarely
// has anything to do; older dirs are removed. Inside the sandbox the dir is the read-only lower
// layer; a program's writes land in its own tmpfs, gone at the next reset.
type Cache struct {
	root string // "" disables the cache
	log  *slog.Logger

	// mu guards the fields below; the go command and the disk work run outside it.
	mu        sync.Mutex
	ready     string                 // the warmed dir in use, "" until one is
	checking  *future.Future[string] // the check in flight (see check), nil when none
	checkedAt time.Time              // when the last check started
	warming   bool                   // a warm-up is in flight
	failed    string                 // the name whose warm-up failed (not tried again by this process)
	wg        sync.WaitGroup         // the check and the warm-up in flight
}

// Overlay is a read-only lower dir laid over Target inside the sandbox, with Size bytes of
// writable tmpfs above it (sandbox.Overlay).
type Overlay struct {
	Lower, Target string
	Size          int64
}

// New returns the cache kept under root ("" turns it off). log receives a warm-up's failure;
// nil discards it.
func New(root string, log *slog.Logger) *Cache {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Cache{root: root, log: log}
}

// goWarmPackages are built into the cache besides a hello world's own imports.
var goWarmPackages = []string{"fmt", "os", "strings", "strconv", "sort", "bufio", "math",
	"math/big", "math/rand", "math/bits", "bytes", "errors", "time", "unicode", "unicode/utf8",
	"container/heap", "container/list", "slices", "maps", "sync", "regexp", "encoding/json",
	"io", "text/tabwriter", "cmp", "iter"}

const goHello = "package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(\"Hello, world!\")\n}\n"

// DefaultRoot is /var/cache/sandrun/go-build for root, else under the user's cache dir.
func DefaultRoot() string {
	if os.Geteuid() == 0 {
		return "/var/cache/sandrun/go-build"
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "sandrun", "go-build")
}

// Overlays returns the overlay for a Go run (nil for other languages, or while no warmed cache
// is ready). At most once a minute it checks (see check) whether the cache is current; the runs
// that come while no cache is ready wait for that check, so that a new process (a one-shot
// `sandrun run`) uses what an earlier one warmed on disk from its first Go run on.
func (g *Cache) Overlays(lang *languages.Language, env []string) []Overlay {
	if g == nil || g.root == "" || lang.ID != "go" {
		return nil
	}
	target := envValue(env, "GOCACHE")
	if !strings.HasPrefix(target, "/tmp/") {
		return nil
	}
	g.mu.Lock()
	fu := g.checking
	if fu == nil && time.Since(g.checkedAt) > time.Minute {
		g.checkedAt = time.Now()
		env := append([]string(nil), env...)
		g.wg.Add(1)
		fu = future.Start(context.Background(), func(context.Context) (string, error) { return g.check(env), nil })
		g.checking = fu
	}
	wait := fu != nil && g.ready == ""
	g.mu.Unlock()
	if wait {
		fu.Wait(context.Background()) // bounded by the go command's timeout
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.ready == "" {
		return nil
	}
	return []Overlay{{Lower: g.ready, Target: target, Size: defaultTmpOverlaySize}}
}

// defaultTmpOverlaySize caps what one run adds to the cache (its own packages).
const defaultTmpOverlaySize = 256 << 20

// name is the dir name for the toolchain the env finds, today: "" when it finds none.
func (g *Cache) name(env []string) string {
	goBin := lookPathIn("go", envValue(env, "PATH"))
	if goBin == "" {
		return ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, goBin, "version").Output()
	if err != nil {
		return ""
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n", goBin, out)
	for _, k := range []string{"CGO_ENABLED", "GOFLAGS", "GOARCH", "GOOS", "GOAMD64", "GOEXPERIMENT"} {
		fmt.Fprintf(h, "%s=%s\n", k, envValue(env, k))
	}
	return hex.EncodeToString(h.Sum(nil))[:16] + "-" + time.Now().UTC().Format("20060102")
}

// check names the cache the env's toolchain needs today (go version), uses a dir warmed on disk
// for it when the one in use is not, and starts a warm-up when none is current. It returns the
// name ("" when the env finds no go command).
func (g *Cache) check(env []string) string {
	defer g.wg.Done()
	name := g.name(env)
	dir := ""
	if name != "" {
		dir = g.onDisk(name)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.checking = nil
	current := func() bool { return g.ready != "" && filepath.Base(g.ready) == name }
	if name == "" || current() {
		return name
	}
	if dir != "" {
		g.ready = dir
	}
	if !g.warming && name != g.failed && !current() {
		g.warming = true
		g.wg.Add(1)
		go g.warm(name, env)
	}
	return name
}

// onDisk is the warmed dir on disk for the toolchain name stands for: root/name itself, else
// the newest one of the same toolchain and settings warmed on another day ("" when none is, or
// root is not this user's private dir). A warmed dir exists only once complete (renamed into
// place), and its name is the toolchain's hash: the marker that it is warm and for which go.
func (g *Cache) onDisk(name string) string {
	fi, err := os.Lstat(g.root)
	if err != nil || !fi.IsDir() || fi.Mode().Perm()&0o022 != 0 || !ownedBySelf(fi) {
		return ""
	}
	if fi, err := os.Lstat(filepath.Join(g.root, name)); err == nil && fi.IsDir() {
		return filepath.Join(g.root, name)
	}
	toolchain, _, ok := strings.Cut(name, "-")
	if !ok {
		return ""
	}
	entries, _ := os.ReadDir(g.root)
	best := ""
	for _, e := range entries { // names end in the day (YYYYMMDD): the greatest is the newest
		if e.IsDir() && strings.HasPrefix(e.Name(), toolchain+"-") && e.Name() > best {
			best = e.Name()
		}
	}
	if best == "" {
		return ""
	}
	return filepath.Join(g.root, best)
}

// warm fills root/name (unless it exists) and makes it the one in use.
func (g *Cache) warm(name string, env []string) {
	defer g.wg.Done()
	dir, err := g.fill(name, env)
	if err == nil {
		g.removeOld(name)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.warming = false
	if err != nil {
		g.failed = name
		g.log.Warn("go build cache: Go runs start with an empty cache", "err", err)
		return
	}
	g.ready = dir
}

func (g *Cache) fill(name string, env []string) (string, error) {
	if name == "" {
		return "", errors.New("no go command in the language's PATH")
	}
	if err := mkdirPrivate(g.root); err != nil {
		return "", err
	}
	dir := filepath.Join(g.root, name)
	if fi, err := os.Lstat(dir); err == nil && fi.IsDir() {
		return dir, nil
	}
	tmp, err := os.MkdirTemp(g.root, ".warm-")
	if err != nil {
		return "", fmt.Errorf("warm: %w", err)
	}
	defer os.RemoveAll(tmp)
	src, cache := filepath.Join(tmp, "src"), filepath.Join(tmp, "cache")
	if err := os.Mkdir(src, 0o700); err != nil {
		return "", fmt.Errorf("warm: %w", err)
	}
	if err := os.WriteFile(filepath.Join(src, "main.go"), []byte(goHello), 0o600); err != nil {
		return "", fmt.Errorf("warm: %w", err)
	}
	// The language's own settings (CGO_ENABLED, GOFLAGS…: they are part of every cache key),
	// with the writable places moved into tmp.
	env = append(languages.EnvWithout(append([]string(nil), env...), "GOCACHE", "GOTMPDIR", "GOPATH", "HOME", "TMPDIR"),
		"GOCACHE="+cache, "GOTMPDIR="+tmp, "GOPATH="+filepath.Join(tmp, "gopath"), "HOME="+tmp, "TMPDIR="+tmp)
	goBin := lookPathIn("go", envValue(env, "PATH"))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	for _, args := range [][]string{{"build", "-o", "hello", "main.go"}, append([]string{"build"}, goWarmPackages...)} {
		cmd := exec.CommandContext(ctx, goBin, args...)
		cmd.Dir, cmd.Env = src, env
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("warm: go %s: %w: %s", args[0], err, strings.TrimSpace(string(out)))
		}
	}
	// Inside, the program's uid may differ from this one: it must be able to add entries to
	// the dirs and rewrite trim.txt (both in its own upper layer). Nobody on the host reaches
	// them: root is 0700.
	err = filepath.WalkDir(cache, func(p string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.IsDir():
			return os.Chmod(p, 0o777)
		case d.Type().IsRegular():
			return os.Chmod(p, 0o666)
		}
		return os.Remove(p) // the go command makes no links; keep none
	})
	if err != nil {
		return "", fmt.Errorf("warm: %w", err)
	}
	if err := os.Rename(cache, dir); err != nil {
		return "", fmt.Errorf("warm: %w", err)
	}
	return dir, nil
}

// removeOld deletes the warmed dirs other than keep that are over two days old (a sandbox
// made before the switch may still use yesterday's).
func (g *Cache) removeOld(keep string) {
	entries, _ := os.ReadDir(g.root)
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil {
			continue
		}
		// A ".warm-" dir an hour old is a warm-up a process did not live to finish.
		age := 48 * time.Hour
		if strings.HasPrefix(e.Name(), ".warm-") {
			age = time.Hour
		}
		if e.Name() == keep || time.Since(fi.ModTime()) < age {
			continue
		}
		_ = os.RemoveAll(filepath.Join(g.root, e.Name()))
	}
}

// mkdirPrivate makes dir and its missing parents 0700, and checks dir is a dir of this user
// that nobody else may write.
func mkdirPrivate(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("cache dir: %w", err)
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("cache dir: %w", err)
	}
	if !fi.IsDir() || fi.Mode().Perm()&0o022 != 0 || !ownedBySelf(fi) {
		return fmt.Errorf("cache dir %s: want a dir of this user that others cannot write", dir)
	}
	return nil
}

// envValue is the value of key in env ("" when unset).
func envValue(env []string, key string) string {
	for i := len(env) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(env[i], key+"="); ok {
			return v
		}
	}
	return ""
}

// lookPathIn finds an executable file name in the dirs of path ("" when none has it).
func lookPathIn(name, path string) string {
	for _, d := range filepath.SplitList(path) {
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 && filepath.IsAbs(p) {
			return p
		}
	}
	return ""
}

// Wait waits for the warm-up in flight, if any: a one-shot "sandrun run" of the first Go program
// then leaves a warmed cache for the next one instead of a half-built one.
func (g *Cache) Wait() {
	if g != nil {
		g.wg.Wait()
	}
}

// ReadyDir is the warmed dir in use ("" while none is).
func (g *Cache) ReadyDir() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.ready
}
