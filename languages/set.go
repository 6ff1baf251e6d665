package languages

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/BurntSushi/toml"
)

//go:embed defs/*.toml
var defs embed.FS

// Set is every language definition, indexed for lookup. The definitions are read-only after
// Load; Toolchain detection is cached in the Set. A Set is safe for concurrent use.
type Set struct {
	all       []*Language          // sorted by ID
	byKey     map[string]*Language // id and aliases, lowercased
	byExt     map[string]*Language // ".py"
	byVSCode  map[string]*Language
	byShebang map[string]*Language

	detected       map[string]*detection // by ID, one for each language
	versionTimeout time.Duration         // bounds one version command
}

// Load reads the embedded definitions. An error means a definition is broken (a bug).
//
// They are parsed once per process (a few milliseconds of a one-shot `sandrun run`, which
// loads them in two places); every Set still has its own detection cache. The definitions are
// read-only, so Sets share them.
func Load() (*Set, error) {
	embedded.once.Do(func() {
		sub, err := fs.Sub(defs, "defs")
		if err != nil {
			embedded.err = err
			return
		}
		embedded.set, embedded.err = LoadFS(sub)
	})
	if embedded.err != nil {
		return nil, embedded.err
	}
	return embedded.set.fresh(), nil
}

// embedded is the parse of the embedded definitions, made by the first Load.
var embedded struct {
	once sync.Once
	set  *Set
	err  error
}

// fresh is a Set with s's definitions and indexes and a detection cache of its own.
func (s *Set) fresh() *Set {
	n := *s
	n.detected = make(map[string]*detection, len(s.all))
	for _, l := range s.all {
		n.detected[l.ID] = new(detection)
	}
	return &n
}

// LoadFS reads every *.toml file at the root of fsys as a definition: for tests and for
// definitions kept outside the binary. Each file must be valid on its own (see Validate) and no
// two may claim the same id, alias, extension, shebang name or VS Code languageId.
func LoadFS(fsys fs.FS) (*Set, error) {
	files, err := fs.Glob(fsys, "*.toml")
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("languages: no definitions (*.toml) found")
	}
	s := &Set{
		byKey: map[string]*Language{}, byExt: map[string]*Language{},
		byVSCode: map[string]*Language{}, byShebang: map[string]*Language{},
		detected: map[string]*detection{}, versionTimeout: detectTimeout,
	}
	// Decoding is most of the cost (TOML): spread it over the CPUs, then index in file order.
	decoded := make([]*Language, len(files))
	errs := make([]error, len(files))
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < min(runtime.GOMAXPROCS(0), len(files)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				decoded[i], errs[i] = decode(fsys, files[i])
			}
		}()
	}
	for i := range files {
		next <- i
	}
	close(next)
	wg.Wait()
	for i, f := range files {
		l, err := decoded[i], errs[i]
		if err != nil {
			return nil, err
		}
		if err := s.index(l); err != nil {
			return nil, fmt.Errorf("languages: %s: %w", f, err)
		}
		s.all = append(s.all, l)
		s.detected[l.ID] = new(detection)
	}
	sort.Slice(s.all, func(i, j int) bool { return s.all[i].ID < s.all[j].ID })
	return s, nil
}

func decode(fsys fs.FS, file string) (*Language, error) {
	data, err := fs.ReadFile(fsys, file)
	if err != nil {
		return nil, fmt.Errorf("languages: %w", err)
	}
	l := new(Language)
	md, err := toml.Decode(string(data), l)
	if err != nil {
		return nil, fmt.Errorf("languages: %s: %w", file, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		return nil, fmt.Errorf("languages: %s: unknown key %q", file, und[0].String())
	}
	for i, kv := range l.Env {
		if k, v, ok := strings.Cut(kv, "="); ok && k == "PATH" {
			l.Env[i] = "PATH=" + strings.ReplaceAll(v, "$PATH", DefaultPath)
		}
	}
	if err := l.Validate(); err != nil {
		return nil, fmt.Errorf("languages: %s: %w", file, err)
	}
	if want := l.ID + ".toml"; path.Base(file) != want {
		return nil, fmt.Errorf("languages: %s: a definition with id %q must be named %s", file, l.ID, want)
	}
	return l, nil
}

// index adds l to the lookup maps, refusing any key another language already has.
func (s *Set) index(l *Language) error {
	claim := func(m map[string]*Language, what, key string) error {
		if o, dup := m[key]; dup {
			return fmt.Errorf("%s %q is taken by %s", what, key, o.ID)
		}
		m[key] = l
		return nil
	}
	for _, k := range append([]string{l.ID}, l.Aliases...) {
		if err := claim(s.byKey, "name", strings.ToLower(k)); err != nil {
			return err
		}
	}
	for _, e := range l.Extensions {
		if err := claim(s.byExt, "extension", e); err != nil {
			return err
		}
	}
	for _, sb := range l.Shebangs {
		if err := claim(s.byShebang, "shebang name", sb); err != nil {
			return err
		}
	}
	if l.VSCodeID != "" {
		return claim(s.byVSCode, "vscode_id", l.VSCodeID)
	}
	return nil
}

// All returns every definition, sorted by ID.
func (s *Set) All() []*Language { return s.all }

// Lookup finds a language by id or alias, case-insensitively.
func (s *Set) Lookup(name string) (*Language, bool) {
	l, ok := s.byKey[strings.ToLower(strings.TrimSpace(name))]
	return l, ok
}

// ByExtension finds a language by a file name's extension (".py"), case-insensitively.
func (s *Set) ByExtension(filename string) (*Language, bool) {
	l, ok := s.byExt[strings.ToLower(path.Ext(filename))]
	return l, ok
}

// ByVSCodeID finds a language by VS Code languageId, falling back to ids and aliases.
func (s *Set) ByVSCodeID(id string) (*Language, bool) {
	if l, ok := s.byVSCode[id]; ok {
		return l, true
	}
	return s.Lookup(id)
}

// ByShebang finds a language from a source's first line ("#!/usr/bin/env python3",
// "#!/usr/bin/env -S deno run", "#!/bin/bash -e"). A versioned name such as "python3.11" or
// "lua5.4" falls back to its unversioned stem when only that is known.
func (s *Set) ByShebang(source []byte) (*Language, bool) {
	line, _, _ := strings.Cut(string(source[:min(len(source), 256)]), "\n")
	if !strings.HasPrefix(line, "#!") {
		return nil, false
	}
	f := strings.Fields(strings.TrimPrefix(line, "#!"))
	if len(f) == 0 {
		return nil, false
	}
	name := path.Base(f[0])
	if name == "env" {
		name = ""
		for _, a := range f[1:] {
			if !strings.HasPrefix(a, "-") && !strings.Contains(a, "=") {
				name = path.Base(a)
				break
			}
		}
	}
	if l, ok := s.byShebang[name]; ok {
		return l, true
	}
	l, ok := s.byShebang[strings.TrimRight(name, "0123456789.")]
	return l, ok
}
