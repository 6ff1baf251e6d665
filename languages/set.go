package languages

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pelletier/go-toml/v2"
)

// Set is every language definition, indexed for lookup. The definitions are read-only after
// Load; Toolchain detection is cached in the Set. A Set is safe for concurrent use.
type Set struct {
	all       []*Language            // the default runtimes, sorted by ID
	defs      []*Language            // every runtime, by ID, the default first, then by runtime
	runtimes  map[string][]*Language // by ID, as in defs
	byKey     map[string]*Language   // ids and aliases, lowercased
	byExt     map[string]*Language   // ".py"
	byVSCode  map[string]*Language
	byShebang map[string]*Language

	detected       map[string]*detection // by Key, one for each runtime
	versionTimeout time.Duration         // bounds one version command
	versionRetry   time.Duration         // how long an answer whose version command timed out is kept
	redetected     func()                // tests: called after a background detection
}

// Load returns the definitions of languages/defs, compiled into the binary. An error means a
// definition is broken (a bug).
//
// The binary holds them as Go values (catalog.go, generated from defs/*.toml, which TestCatalog
// proves equal): decoding 83 TOML files and compiling their regexps cost a new process a few
// milliseconds of CPU. They are indexed and checked once per process, their regexps compiled on
// first use (TestEmbeddedDefinitionsValid checks them in full); every Set still has its own
// detection cache. The definitions are read-only, so Sets share them.
func Load() (*Set, error) {
	embedded.once.Do(func() { embedded.set, embedded.err = loadEmbedded() })
	if embedded.err != nil {
		return nil, embedded.err
	}
	return embedded.set.fresh(), nil
}

// loadEmbedded makes the Set of the compiled-in definitions (what the first Load does), from
// copies of them: validate sets the matchers' regexps, and catalog stays as generated.
func loadEmbedded() (*Set, error) {
	copies := catalog
	langs := make([]*Language, len(copies))
	for i := range copies {
		copies[i].Matchers = slices.Clone(copies[i].Matchers)
		langs[i] = &copies[i]
	}
	return assemble(langs, false)
}

// embedded is the Set of the compiled-in definitions, made by the first Load.
var embedded struct {
	once sync.Once
	set  *Set
	err  error
}

// fresh is a Set with s's definitions and indexes and a detection cache of its own.
func (s *Set) fresh() *Set {
	n := *s
	n.detected = make(map[string]*detection, len(s.defs))
	ds := make([]detection, len(s.defs))
	for i, l := range s.defs {
		n.detected[l.Key()] = &ds[i]
	}
	return &n
}

// LoadFS reads every *.toml file at the root of fsys as a definition: for tests and for
// definitions kept outside the binary. <id>.toml is a language's default runtime and
// <id>-<runtime>.toml another runtime of it. Each file must be valid on its own (see Validate)
// and no two may claim the same alias, extension, shebang name or VS Code languageId.
func LoadFS(fsys fs.FS) (*Set, error) {
	decoded, err := decodeAll(fsys)
	if err != nil {
		return nil, err
	}
	return assemble(decoded, true)
}

// decodeAll decodes every *.toml file at the root of fsys, in the order of their names.
func decodeAll(fsys fs.FS) ([]*Language, error) {
	files, err := fs.Glob(fsys, "*.toml")
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("languages: no definitions (*.toml) found")
	}
	decoded := make([]*Language, len(files))
	for i, file := range files {
		if decoded[i], err = decode(fsys, file); err != nil {
			return nil, err
		}
	}
	return decoded, nil
}

// assemble makes the Set of the decoded definitions (each as decode returns it): each runtime
// joined to its language, each definition validated and indexed. With eager false, the
// definitions' regexps are compiled on first use (see Language.validate): for the compiled-in
// definitions only, which a test validates in full.
func assemble(decoded []*Language, eager bool) (*Set, error) {
	var keys, exts, shebangs int
	for _, l := range decoded {
		keys, exts, shebangs = keys+1+len(l.Aliases), exts+len(l.Extensions), shebangs+len(l.Shebangs)
	}
	n := len(decoded)
	s := &Set{
		runtimes: make(map[string][]*Language, n),
		byKey:    make(map[string]*Language, keys), byExt: make(map[string]*Language, exts),
		byVSCode: make(map[string]*Language, n), byShebang: make(map[string]*Language, shebangs),
		detected: make(map[string]*detection, n), versionTimeout: detectTimeout, versionRetry: detectRetry,
	}
	var others []*Language
	for _, l := range decoded {
		if l.isDefault {
			s.all = append(s.all, l)
		} else {
			others = append(others, l)
		}
	}
	sort.Slice(s.all, func(i, j int) bool { return s.all[i].ID < s.all[j].ID })
	for _, l := range s.all {
		s.runtimes[l.ID] = []*Language{l}
	}
	sort.Slice(others, func(i, j int) bool { return others[i].Key() < others[j].Key() })
	for _, l := range others {
		rts, ok := s.runtimes[l.ID]
		if !ok {
			return nil, fmt.Errorf("languages: %s-%s.toml: runtime of %q, which has no %s.toml", l.ID, l.Runtime, l.ID, l.ID)
		}
		def := rts[0]
		if len(l.Extensions) > 0 || l.VSCodeID != "" {
			return nil, fmt.Errorf("languages: %s-%s.toml: extensions and vscode_id belong in %s.toml", l.ID, l.Runtime, l.ID)
		}
		for _, o := range rts {
			if o.Runtime == l.Runtime {
				return nil, fmt.Errorf("languages: %s-%s.toml: %s already has a runtime %q", l.ID, l.Runtime, l.ID, l.Runtime)
			}
		}
		l.Extensions = def.Extensions
		if l.SourceFile == "" {
			l.SourceFile = def.SourceFile
		}
		if l.Hello == "" {
			l.Hello = def.Hello
		}
		s.runtimes[l.ID] = append(rts, l)
	}
	var all []*Language
	for _, id := range sortedKeys(s.runtimes) {
		all = append(all, s.runtimes[id]...)
	}
	for _, l := range all {
		if err := l.validate(eager); err != nil {
			return nil, fmt.Errorf("languages: %s: %w", l.file(), err)
		}
		if err := s.index(l); err != nil {
			return nil, fmt.Errorf("languages: %s: %w", l.file(), err)
		}
		s.defs = append(s.defs, l)
		s.detected[l.Key()] = new(detection)
	}
	return s, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func decode(fsys fs.FS, file string) (*Language, error) {
	data, err := fs.ReadFile(fsys, file)
	if err != nil {
		return nil, fmt.Errorf("languages: %w", err)
	}
	l := new(Language)
	dec := toml.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(l); err != nil {
		var strict *toml.StrictMissingError
		if errors.As(err, &strict) && len(strict.Errors) > 0 {
			return nil, fmt.Errorf("languages: %s: unknown key %q", file, strings.Join(strict.Errors[0].Key(), "."))
		}
		return nil, fmt.Errorf("languages: %s: %w", file, err)
	}
	for i, kv := range l.Env {
		if k, v, ok := strings.Cut(kv, "="); ok && k == "PATH" {
			l.Env[i] = "PATH=" + strings.ReplaceAll(v, "$PATH", DefaultPath)
		}
	}
	base := strings.TrimSuffix(path.Base(file), ".toml")
	if l.Runtime == "" && base == l.ID {
		l.Runtime = l.ID
	}
	switch base {
	case l.ID:
		l.isDefault = true
	case l.ID + "-" + l.Runtime:
	default:
		return nil, fmt.Errorf("languages: %s: a definition with id %q must be named %s.toml (the default runtime) or %s-<runtime>.toml with its runtime set", file, l.ID, l.ID, l.ID)
	}
	return l, nil
}

// index adds l to the lookup maps, refusing any key another runtime already has.
func (s *Set) index(l *Language) error {
	claim := func(m map[string]*Language, what, key string) error {
		if o, dup := m[key]; dup {
			return fmt.Errorf("%s %q is taken by %s", what, key, o.Key())
		}
		m[key] = l
		return nil
	}
	keys := l.Aliases
	if l.isDefault {
		keys = append([]string{l.ID}, l.Aliases...)
		for _, e := range l.Extensions {
			if err := claim(s.byExt, "extension", e); err != nil {
				return err
			}
		}
		if l.VSCodeID != "" {
			if err := claim(s.byVSCode, "vscode_id", l.VSCodeID); err != nil {
				return err
			}
		}
	}
	for _, k := range keys {
		if err := claim(s.byKey, "name", strings.ToLower(k)); err != nil {
			return err
		}
	}
	for _, sb := range l.Shebangs {
		if err := claim(s.byShebang, "shebang name", sb); err != nil {
			return err
		}
	}
	return nil
}

// Runtimes returns the runtimes of the language id, its default first; nil for an unknown id.
func (s *Set) Runtimes(id string) []*Language { return s.runtimes[id] }

// Definitions returns every runtime of every language, by language id, each language's default
// runtime first.
func (s *Set) Definitions() []*Language { return s.defs }

// Runtime finds the runtime of language id named name: its runtime name, its display name or
// one of its aliases, case-insensitively.
func (s *Set) Runtime(id, name string) (*Language, bool) {
	name = strings.ToLower(strings.TrimSpace(name))
	for _, l := range s.runtimes[id] {
		if strings.ToLower(l.Runtime) == name || strings.ToLower(l.RuntimeName) == name {
			return l, true
		}
	}
	if l, ok := s.byKey[name]; ok && l.ID == id {
		return l, true
	}
	return nil, false
}

// ByKey finds a runtime by its Key ("javascript", "javascript/bun").
func (s *Set) ByKey(key string) (*Language, bool) {
	id, rt, ok := strings.Cut(key, "/")
	if !ok {
		rts := s.runtimes[id]
		if len(rts) == 0 {
			return nil, false
		}
		return rts[0], true
	}
	for _, l := range s.runtimes[id] {
		if l.Runtime == rt {
			return l, true
		}
	}
	return nil, false
}

// All returns every language's default runtime, sorted by ID.
func (s *Set) All() []*Language { return s.all }

// Lookup finds a language by id or alias, case-insensitively: its default runtime, or the
// runtime that an alias names ("pypy" is Python with PyPy).
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
