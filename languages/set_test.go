package languages

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

func mustLoad(t *testing.T) *Set {
	t.Helper()
	s, err := Load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return s
}

// TestDefinitions checks every shipped definition beyond what Load checks: a sum program in
// testdata for the end-to-end test, and no "$PATH" left unexpanded.
func TestDefinitions(t *testing.T) {
	s := mustLoad(t)
	if n := len(s.All()); n < 40 {
		t.Errorf("%d definitions; the issue asks for at least 40", n)
	}
	for _, l := range s.All() {
		t.Run(l.ID, func(t *testing.T) {
			prog := filepath.Join("..", "testdata", "languages", l.ID, l.SourceFile)
			if fi, err := os.Stat(prog); err != nil || fi.Size() == 0 {
				t.Errorf("no sum program %s: %v", prog, err)
			}
			for _, kv := range l.Env {
				if strings.Contains(kv, "$PATH") {
					t.Errorf("env %q: $PATH not expanded", kv)
				}
			}
			if !strings.HasSuffix(l.SearchPath(), DefaultPath) {
				t.Errorf("SearchPath %q drops DefaultPath; put \"$PATH\" at its end", l.SearchPath())
			}
			if len(l.Programs()) == 0 {
				t.Errorf("Programs() is empty: nothing for Detect to look for")
			}
			if len(l.Extensions) == 0 && l.ID != "sh" {
				t.Errorf("no extensions")
			}
		})
	}
}

func TestLookups(t *testing.T) {
	s := mustLoad(t)
	tests := []struct {
		name string
		find func() (*Language, bool)
		want string // "" means not found
	}{
		{"Lookup id", func() (*Language, bool) { return s.Lookup("python") }, "python"},
		{"Lookup alias, any case", func() (*Language, bool) { return s.Lookup(" C++ ") }, "cpp"},
		{"Lookup c#", func() (*Language, bool) { return s.Lookup("c#") }, "csharp"},
		{"Lookup unknown", func() (*Language, bool) { return s.Lookup("pyhton") }, ""},
		{"ByExtension", func() (*Language, bool) { return s.ByExtension("dir/hello.rs") }, "rust"},
		{"ByExtension upper case", func() (*Language, bool) { return s.ByExtension("HELLO.PY") }, "python"},
		{"ByExtension R", func() (*Language, bool) { return s.ByExtension("main.R") }, "r"},
		{"ByExtension .pl is Perl", func() (*Language, bool) { return s.ByExtension("x.pl") }, "perl"},
		{"ByExtension unknown", func() (*Language, bool) { return s.ByExtension("notes.xyz") }, ""},
		{"ByExtension none", func() (*Language, bool) { return s.ByExtension("Makefile") }, ""},
		{"ByVSCodeID shellscript", func() (*Language, bool) { return s.ByVSCodeID("shellscript") }, "bash"},
		{"ByVSCodeID cpp", func() (*Language, bool) { return s.ByVSCodeID("cpp") }, "cpp"},
		{"ByVSCodeID falls back to aliases", func() (*Language, bool) { return s.ByVSCodeID("golang") }, "go"},
		{"ByVSCodeID unknown", func() (*Language, bool) { return s.ByVSCodeID("plaintext") }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, ok := tt.find()
			got := ""
			if ok {
				got = l.ID
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestByShebang(t *testing.T) {
	s := mustLoad(t)
	tests := []struct{ source, want string }{
		{"#!/usr/bin/env python3\nprint(1)", "python"},
		{"#!/usr/bin/python3.11\n", "python"},
		{"#!/bin/sh\necho hi", "sh"},
		{"#!/bin/bash -e\n", "bash"},
		{"#!/usr/bin/env -S node --max-old-space-size=64\n", "javascript"},
		{"#!/usr/bin/env FOO=1 ruby\n", "ruby"},
		{"#! /usr/bin/perl -w\n", "perl"},
		{"#!/usr/bin/env lua5.3\n", "lua"},
		{"#!/usr/bin/env escript\n", "erlang"},
		{"#!/usr/bin/env Rscript\n", "r"},
		{"#!/usr/bin/env\n", ""},
		{"#!/usr/bin/unknown-interp\n", ""},
		{"print(1)\n#!/usr/bin/python3\n", ""},
		{"", ""},
	}
	for _, tt := range tests {
		l, ok := s.ByShebang([]byte(tt.source))
		got := ""
		if ok {
			got = l.ID
		}
		if got != tt.want {
			t.Errorf("ByShebang(%q) = %q, want %q", tt.source, got, tt.want)
		}
	}
}

func TestExpand(t *testing.T) {
	argv := []string{"gcc", "-o", "{stem}", "{file}", "-DX={stem}.{file}"}
	got := Expand(argv, "src/hello.c")
	want := []string{"gcc", "-o", "src/hello", "src/hello.c", "-DX=src/hello.src/hello.c"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Expand (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"./Main"}, Expand([]string{"./{stem}"}, "Main")); diff != "" {
		t.Errorf("Expand without extension (-want +got):\n%s", diff)
	}
	// {sources}: the main file, then the request's other files with its extension, in order.
	cc := []string{"gcc", "-o", "{stem}", "{sources}", "-lm"}
	got = ExpandSources(cc, "main.c", []string{"util.h", "b.c", "main.c", "lib/a.c", "notes.txt"})
	if diff := cmp.Diff([]string{"gcc", "-o", "main", "main.c", "b.c", "lib/a.c", "-lm"}, got); diff != "" {
		t.Errorf("ExpandSources (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"gcc", "-o", "main", "main.c", "-lm"}, Expand(cc, "main.c")); diff != "" {
		t.Errorf("Expand of {sources} without other files (-want +got):\n%s", diff)
	}
	// A file whose name starts with "-" is given as ./name, never as one of the tool's options
	// (ld reads "-o -main" as two options); {stem} inside a longer word stays as it is.
	got = ExpandSources(cc, "-main.c", []string{"-main.c", "-fplugin=x.c"})
	if diff := cmp.Diff([]string{"gcc", "-o", "./-main", "./-main.c", "./-fplugin=x.c", "-lm"}, got); diff != "" {
		t.Errorf("ExpandSources of names starting with - (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"python3", "./-c.py", "./-c", "-out:-c.exe"}, Expand([]string{"python3", "{file}", "./{stem}", "-out:{stem}.exe"}, "-c.py")); diff != "" {
		t.Errorf("Expand of {file} starting with - (-want +got):\n%s", diff)
	}
}

func TestSearchPathAndPrograms(t *testing.T) {
	s := mustLoad(t)
	tests := []struct {
		id       string
		path     string
		programs []string
	}{
		{"python", DefaultPath, []string{"python3"}},
		{"go", "/usr/local/go/bin:" + DefaultPath, []string{"go"}},

		{"typescript", DefaultPath, []string{"tsc", "node"}},
		{"nasm", DefaultPath, []string{"sh", "nasm", "ld"}},
		{"rust", "/root/.cargo/bin:" + DefaultPath, []string{"rustc", "cc"}},
		{"clojure", DefaultPath, []string{"clojure", "java"}},
	}
	for _, tt := range tests {
		l, _ := s.Lookup(tt.id)
		if got := l.SearchPath(); got != tt.path {
			t.Errorf("%s: SearchPath = %q, want %q", tt.id, got, tt.path)
		}
		if diff := cmp.Diff(tt.programs, l.Programs()); diff != "" {
			t.Errorf("%s: Programs (-want +got):\n%s", tt.id, diff)
		}
	}
}

func TestLoadRejects(t *testing.T) {
	const good = `id = "toy"
name = "Toy"
extensions = [".toy"]
source_file = "main.toy"
run = ["toy", "{file}"]
version = ["toy", "--version"]
package = "apt-get install toy"
hello = "print hi"
`
	tests := []struct {
		name  string
		files map[string]string
		want  string // a regexp the error must match
	}{
		{"unknown placeholder", map[string]string{"toy.toml": strings.Replace(good, `"{file}"`, `"{name}"`, 1)}, `unknown placeholder \{name\}`},
		{"{sources} inside a word", map[string]string{"toy.toml": strings.Replace(good, `"{file}"`, `"-i{sources}"`, 1)}, `\{sources\} must be a word of its own`},
		{"run never names the program", map[string]string{"toy.toml": strings.Replace(good, `"{file}"`, `"main.toy"`, 1)}, `never names the program`},
		{"bad id", map[string]string{"Toy.toml": strings.Replace(good, `"toy"`, `"Toy"`, 1)}, `id "Toy" must be lowercase`},
		{"file named after another id", map[string]string{"other.toml": good}, `must be named toy.toml`},
		{"unknown key", map[string]string{"toy.toml": good + "colour = \"red\"\n"}, `unknown key "colour"`},
		{"no run", map[string]string{"toy.toml": strings.Replace(good, `run = ["toy", "{file}"]`, ``, 1)}, `run is required`},
		{"source_file extension", map[string]string{"toy.toml": strings.Replace(good, `"main.toy"`, `"main.txt"`, 1)}, `does not end in one of the extensions`},
		{"extension case", map[string]string{"toy.toml": strings.Replace(good, `[".toy"]`, `[".TOY"]`, 1)}, `must be a lowercase suffix`},
		{"path inside /usr", map[string]string{"toy.toml": good + `paths = ["/usr/lib/toy"]` + "\n"}, `inside /usr`},
		{"relative path", map[string]string{"toy.toml": good + `paths = ["opt/toy"]` + "\n"}, `absolute, clean`},
		{"regexp without group", map[string]string{"toy.toml": good + `version_regex = "[0-9.]+"` + "\n"}, `needs a group`},
		{"broken regexp", map[string]string{"toy.toml": good + `version_regex = "(["` + "\n"}, `version_regex`},
		{"bad env", map[string]string{"toy.toml": good + `env = ["NOVALUE"]` + "\n"}, `must be KEY=value`},
		{"no package", map[string]string{"toy.toml": strings.Replace(good, `package = "apt-get install toy"`, ``, 1)}, `package`},
		{"duplicate alias", map[string]string{
			"toy.toml": good + `aliases = ["t"]` + "\n",
			"two.toml": strings.NewReplacer(`"toy"`, `"two"`, ".toy", ".two").Replace(good) + `aliases = ["T"]` + "\n",
		}, `name "t" is taken by toy`},
		{"duplicate extension", map[string]string{
			"toy.toml": good,
			"two.toml": strings.NewReplacer(`"toy"`, `"two"`).Replace(good),
		}, `extension ".toy" is taken by toy`},
		{"duplicate shebang", map[string]string{
			"toy.toml": good + `shebangs = ["toy"]` + "\n",
			"two.toml": strings.NewReplacer(`"toy"`, `"two"`, ".toy", ".two").Replace(good) + `shebangs = ["toy"]` + "\n",
		}, `shebang name "toy" is taken by toy`},
		{"not TOML", map[string]string{"toy.toml": "id = \n"}, `toy.toml`},
		{"nothing", map[string]string{}, `no definitions`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for name, data := range tt.files {
				fsys[name] = &fstest.MapFile{Data: []byte(data)}
			}
			_, err := LoadFS(fsys)
			if err == nil {
				t.Fatalf("LoadFS accepted it; want an error matching %q", tt.want)
			}
			if !regexp.MustCompile(tt.want).MatchString(err.Error()) {
				t.Errorf("error %q does not match %q", err, tt.want)
			}
		})
	}
	if _, err := LoadFS(fstest.MapFS{"toy.toml": {Data: []byte(good)}}); err != nil {
		t.Errorf("the good definition is refused: %v", err)
	}
}

// TestDocsTable fails when docs/languages.md's table and the definitions disagree on which
// languages exist.
func TestDocsTable(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "docs", "languages.md"))
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z0-9]+)` \\|").FindAllStringSubmatch(string(data), -1) {
		documented[m[1]] = true
	}
	for _, l := range mustLoad(t).All() {
		if !documented[l.ID] {
			t.Errorf("docs/languages.md has no row for %s", l.ID)
		}
		delete(documented, l.ID)
	}
	for id := range documented {
		t.Errorf("docs/languages.md has a row for %s, which has no definition", id)
	}
	for _, l := range mustLoad(t).Definitions() {
		if row := fmt.Sprintf("| `%s` `--runtime %s` |", l.ID, l.Runtime); !l.Default() && !strings.Contains(string(data), row) {
			t.Errorf("docs/languages.md has no row %s", row)
		}
	}
}

// TestRuntimes: <id>-<runtime>.toml is another runtime of <id>, inheriting its extensions, source
// file and hello; its aliases and shebangs name it; the default comes first.
func TestRuntimes(t *testing.T) {
	const toy = `id = "toy"
name = "Toy"
aliases = ["ty"]
extensions = [".toy"]
source_file = "main.toy"
run = ["toy", "{file}"]
version = ["toy", "--version"]
package = "apt-get install toy"
hello = "print hi"
`
	const fast = `id = "toy"
name = "Toy (fast)"
runtime = "fast"
runtime_name = "FastToy"
aliases = ["fasttoy"]
shebangs = ["fasttoy"]
run = ["fasttoy", "{file}"]
version = ["fasttoy", "--version"]
package = "apt-get install fasttoy"
`
	set, err := LoadFS(fstest.MapFS{"toy.toml": {Data: []byte(toy)}, "toy-fast.toml": {Data: []byte(fast)}})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(set.All()); n != 1 {
		t.Errorf("All has %d languages, want 1", n)
	}
	rts := set.Runtimes("toy")
	if len(rts) != 2 || rts[0].Runtime != "toy" || !rts[0].Default() || rts[1].Runtime != "fast" || rts[1].Default() {
		t.Fatalf("runtimes %v, want the default toy then fast", rts)
	}
	f := rts[1]
	if f.Key() != "toy/fast" || f.SourceFile != "main.toy" || f.Hello != "print hi" || len(f.Extensions) != 1 {
		t.Errorf("fast: key %q source %q hello %q extensions %v; want inherited from toy.toml", f.Key(), f.SourceFile, f.Hello, f.Extensions)
	}
	for _, name := range []string{"fast", "FastToy", "fasttoy"} {
		if l, ok := set.Runtime("toy", name); !ok || l != f {
			t.Errorf("Runtime(toy, %q) = %v, %v; want fast", name, l, ok)
		}
	}
	if l, ok := set.Lookup("fasttoy"); !ok || l != f {
		t.Errorf("Lookup(fasttoy) does not find the fast runtime")
	}
	if l, ok := set.Lookup("ty"); !ok || l != rts[0] {
		t.Errorf("Lookup(ty) does not find the default runtime")
	}
	if l, ok := set.ByShebang([]byte("#!/usr/bin/env fasttoy\n")); !ok || l != f {
		t.Errorf("the fasttoy #! line does not pick the fast runtime")
	}
	if l, ok := set.ByKey("toy/fast"); !ok || l != f {
		t.Errorf("ByKey(toy/fast) does not find it")
	}
	for name, files := range map[string]fstest.MapFS{
		"no default":    {"toy-fast.toml": {Data: []byte(fast)}},
		"misnamed":      {"toy.toml": {Data: []byte(toy)}, "toy-quick.toml": {Data: []byte(fast)}},
		"own extension": {"toy.toml": {Data: []byte(toy)}, "toy-fast.toml": {Data: []byte(fast + "extensions = [\".ft\"]\n")}},
	} {
		if _, err := LoadFS(files); err == nil {
			t.Errorf("%s: LoadFS accepted it", name)
		}
	}
}

// TestEmbeddedDefinitionsValid validates the shipped definitions in full, as LoadFS does: Load
// compiles their regexps only on first use, so a broken one fails here, in CI, and not in a run.
func TestEmbeddedDefinitionsValid(t *testing.T) {
	eager, err := LoadFS(os.DirFS("defs"))
	if err != nil {
		t.Fatalf("LoadFS(defs): %v", err)
	}
	lazy := mustLoad(t)
	if len(lazy.Definitions()) != len(eager.Definitions()) {
		t.Fatalf("Load has %d definitions, LoadFS %d", len(lazy.Definitions()), len(eager.Definitions()))
	}
	for i, l := range lazy.Definitions() {
		e := eager.Definitions()[i]
		if l.Key() != e.Key() || len(l.Matchers) != len(e.Matchers) {
			t.Fatalf("definition %d: Load has %s with %d matchers, LoadFS %s with %d", i, l.Key(), len(l.Matchers), e.Key(), len(e.Matchers))
		}
		for j := range l.Matchers {
			lp, lf, ls := l.Matchers[j].Regexps()
			ep, ef, es := e.Matchers[j].Regexps()
			if lp.String() != ep.String() || (lf == nil) != (ef == nil) || (ls == nil) != (es == nil) {
				t.Errorf("%s: matcher %d: Load's regexps differ from LoadFS's", l.Key(), j+1)
			}
		}
		if got, want := l.ParseVersion("Python 3.11.2\n"), e.ParseVersion("Python 3.11.2\n"); got != want {
			t.Errorf("%s: ParseVersion: Load's %q, LoadFS's %q", l.Key(), got, want)
		}
	}
}
