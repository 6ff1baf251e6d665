package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sandrun/sandrun/executor/compilecache"
	"github.com/sandrun/sandrun/executor/local"
)

// cacheFlags are the compile cache's flags (run, watch, serve, executor). They apply to the
// local executor; a tcp:// executor has its own cache.
type cacheFlags struct {
	off  bool
	dir  string
	size string
	// onDisk: without --compile-cache-dir the cache lives under the user's cache dir (the CLI,
	// whose every run is a new process), else in memory (long-running servers).
	onDisk bool
}

func (c *cacheFlags) register(fs *flag.FlagSet, onDisk bool) {
	c.onDisk = onDisk
	where := "in memory"
	if onDisk {
		where = defaultCacheDir()
		if where == "" {
			where = "in memory (no user cache dir here)"
		}
	}
	fs.BoolVar(&c.off, "no-compile-cache", false, "compile every time: do not keep or reuse compile outputs")
	fs.StringVar(&c.dir, "compile-cache-dir", "", "keep compile outputs in this directory (default: "+where+")")
	fs.StringVar(&c.size, "compile-cache-size", "256MiB", "largest size of the compile cache; the least recently used outputs go first")
}

// defaultCacheDir is sandrun's compile cache under the user's cache dir, "" when there is none.
func defaultCacheDir() string {
	base, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(base, "sandrun", "compile")
}

// apply opens the cache the flags ask for and sets it in lo.
func (c *cacheFlags) apply(lo *local.Options) error {
	if c.off {
		lo.NoCompileCache = true
		return nil
	}
	size, err := parseBytes(c.size)
	if err != nil || size < 1<<20 {
		return usageError("--compile-cache-size %q: want a size of at least 1MiB, e.g. 256MiB", c.size)
	}
	dir := c.dir
	if dir == "" && c.onDisk {
		dir = defaultCacheDir()
	}
	cache, err := compilecache.New(compilecache.Options{Dir: dir, MaxBytes: size})
	if err != nil && c.dir != "" {
		return usageError("--compile-cache-dir: %v", err)
	}
	if err != nil { // the default dir: carry on with a cache in memory, and say why
		fmt.Fprintf(os.Stderr, "sandrun: warning: %v; compile outputs are kept in memory only\n", err)
		cache, _ = compilecache.New(compilecache.Options{MaxBytes: size})
	}
	lo.CompileCache = cache
	return nil
}
