package languages

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
)

//go:embed defs/*.toml
var defs embed.FS

// Set is every language definition, indexed for lookup. It is read-only after Load.
type Set struct {
	all   []*Language          // sorted by ID
	byKey map[string]*Language // id and aliases, lowercased
	byExt map[string]*Language // ".py"
}

// Load reads the embedded definitions. An error means a definition is broken (a bug).
func Load() (*Set, error) {
	files, err := fs.Glob(defs, "defs/*.toml")
	if err != nil {
		return nil, err
	}
	s := &Set{byKey: map[string]*Language{}, byExt: map[string]*Language{}}
	for _, f := range files {
		data, err := defs.ReadFile(f)
		if err != nil {
			return nil, err
		}
		l := new(Language)
		if _, err := toml.Decode(string(data), l); err != nil {
			return nil, fmt.Errorf("languages: %s: %w", path.Base(f), err)
		}
		if l.ID == "" || len(l.Run) == 0 {
			return nil, fmt.Errorf("languages: %s: id and run are required", path.Base(f))
		}
		for _, k := range append([]string{l.ID}, l.Aliases...) {
			k = strings.ToLower(k)
			if o, dup := s.byKey[k]; dup {
				return nil, fmt.Errorf("languages: %s: name %q is taken by %s", path.Base(f), k, o.ID)
			}
			s.byKey[k] = l
		}
		for _, e := range l.Extensions {
			if _, dup := s.byExt[strings.ToLower(e)]; !dup {
				s.byExt[strings.ToLower(e)] = l
			}
		}
		s.all = append(s.all, l)
	}
	sort.Slice(s.all, func(i, j int) bool { return s.all[i].ID < s.all[j].ID })
	return s, nil
}

// All returns every definition, sorted by ID.
func (s *Set) All() []*Language { return s.all }

// Lookup finds a language by id or alias, case-insensitively.
func (s *Set) Lookup(name string) (*Language, bool) {
	l, ok := s.byKey[strings.ToLower(strings.TrimSpace(name))]
	return l, ok
}

// ByExtension finds a language by a file name's extension (".py").
func (s *Set) ByExtension(filename string) (*Language, bool) {
	l, ok := s.byExt[strings.ToLower(path.Ext(filename))]
	return l, ok
}

// ByVSCodeID finds a language by VS Code languageId.
func (s *Set) ByVSCodeID(id string) (*Language, bool) {
	for _, l := range s.all {
		if l.VSCodeID == id {
			return l, true
		}
	}
	return s.Lookup(id)
}

// ByShebang finds a language from a source's first line ("#!/usr/bin/env python3").
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
			if !strings.HasPrefix(a, "-") {
				name = path.Base(a)
				break
			}
		}
	}
	for _, l := range s.all {
		for _, sb := range l.Shebangs {
			if sb == name {
				return l, true
			}
		}
	}
	return nil, false
}

// Toolchain is what detection found for one language on this host.
type Toolchain struct {
	Available bool
	Version   string
	Missing   string // when !Available: what is missing and how to install it
}

// Detect finds which toolchains exist on this host and their versions. It runs each language's
// version command at most once per Set (cached), concurrently, bounded by ctx.
func (s *Set) Detect(ctx context.Context) map[string]Toolchain {
	// Skeleton: replaced by the real detector.
	return map[string]Toolchain{}
}
