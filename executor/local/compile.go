package local

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/sandrun/sandrun/executor/compilecache"
	"github.com/sandrun/sandrun/executor/sandbox"
	"github.com/sandrun/sandrun/languages"
)

// What a compile may leave for the cache: beyond either bound it is simply not cached.
const (
	maxCachedFiles = 256
	maxCachedBytes = 64 << 20
)

// compile runs the compile stage in sb, or, when the compile cache holds the output of the
// same compile (same language, toolchain, command, environment and sources), writes that output
// into /work instead and returns a Result with Cached set. The compiler's messages are replayed
// as Events either way. Only successful compiles are cached.
func (l *Executor) compile(ctx context.Context, sb Sandbox, out *output, p plan, files []File, env []string) (Result, error) {
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = f.Name
	}
	argv := languages.ExpandSources(p.lang.Compile, p.main, names)
	var key compilecache.Key
	if l.cache != nil {
		key = compileKey(p, argv, env, files)
		if e, ok := l.cache.Get(key); ok {
			put := make([]sandbox.File, len(e.Files))
			for i, f := range e.Files {
				put[i] = sandbox.File{Path: f.Path, Data: f.Data, Mode: f.Mode}
			}
			if err := sb.WriteFiles(put); err != nil {
				return Result{}, err
			}
			for _, m := range []struct {
				s      Stream
				stderr bool
			}{{Stdout, false}, {Stderr, true}} {
				text := e.Stdout
				if m.stderr {
					text = e.Stderr
				}
				if text != "" {
					out.emit(StageCompile, m.s, []byte(text))
				}
			}
			return Result{Status: StatusOK, Stdout: e.Stdout, Stderr: e.Stderr, Cached: true}, nil
		}
	}
	c, err := stage(ctx, sb, out, StageCompile, argv, env, nil, p.climit, false, false)
	if err != nil || c.Status != StatusOK || l.cache == nil {
		return c, err
	}
	if e, ok := collect(sb, files); ok {
		e.Stdout, e.Stderr = c.Stdout, c.Stderr
		_ = l.cache.Put(key, e) // an entry too big to keep is only not kept
	}
	return c, nil
}

// collect reads what the compile left in /work besides the sources. It reports false when the
// output is not worth caching: too many or too large files, or a source the compile changed.
func collect(sb Sandbox, files []File) (compilecache.Entry, bool) {
	list, err := sb.ListFiles(maxCachedFiles + len(files))
	if err != nil {
		return compilecache.Entry{}, false
	}
	sources := map[string][]byte{}
	for _, f := range files {
		sources[f.Name] = f.Content
	}
	var e compilecache.Entry
	var total int64
	for _, fi := range list {
		total += fi.Size
		if total > maxCachedBytes || len(e.Files) >= maxCachedFiles {
			return compilecache.Entry{}, false
		}
		data, err := sb.ReadFile(fi.Path, fi.Size)
		if err != nil {
			return compilecache.Entry{}, false
		}
		if src, ok := sources[fi.Path]; ok {
			if !bytes.Equal(src, data) {
				return compilecache.Entry{}, false
			}
			continue
		}
		e.Files = append(e.Files, compilecache.File{Path: fi.Path, Mode: fi.Mode, Data: data})
	}
	return e, true
}

// compileKey hashes everything that decides a compile's output: the language and its toolchain
// (version, and the compiler's size and modification time on this host), the command, the
// environment, and every source's name and contents.
func compileKey(p plan, argv, env []string, files []File) compilecache.Key {
	var b compilecache.KeyBuilder
	b.AddString("language", p.lang.ID)
	b.AddString("runtime", p.lang.Runtime)
	b.AddString("version", p.version)
	b.AddString("compiler", compilerID(p.lang))
	b.AddString("argv", strings.Join(argv, "\x00"))
	b.AddString("env", strings.Join(env, "\x00"))
	b.AddString("main", p.main)
	sorted := append([]File(nil), files...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	for _, f := range sorted {
		b.Add("file:"+f.Name, f.Content)
	}
	return b.Sum()
}

// compilerID names the compiler binary as this host has it now: a reinstalled compiler with
// the same version string still changes the key.
func compilerID(lang *languages.Language) string {
	prog := lang.Compile[0]
	if !strings.Contains(prog, "/") {
		for _, dir := range filepath.SplitList(lang.SearchPath()) {
			if p := filepath.Join(dir, prog); isExecutable(p) {
				prog = p
				break
			}
		}
	}
	real, err := filepath.EvalSymlinks(prog)
	if err != nil {
		return prog
	}
	fi, err := os.Stat(real)
	if err != nil {
		return real
	}
	return real + " " + strconv.FormatInt(fi.Size(), 10) + " " + strconv.FormatInt(fi.ModTime().UnixNano(), 10)
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}
