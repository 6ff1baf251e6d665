// Package languages holds the language definitions (one TOML file per language, embedded) and
// finds which toolchains this host has, with their versions.
//
// It is not for running anything in a sandbox: it only says what to run (package executor does).
package languages

import (
	"path"
	"regexp"
	"strings"
)

// DefaultPath is the PATH inside the sandbox, and the PATH in which Detect looks for a
// toolchain, unless the language's Env sets PATH. In a definition's Env, "$PATH" stands for it:
// "PATH=/usr/local/go/bin:$PATH".
const DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Language is one runtime of a language, read from languages/defs: <id>.toml holds the
// language's default runtime, <id>-<runtime>.toml each other runtime (C with clang, JavaScript
// with Bun). Each runtime has its own toolchain, commands, version and limits; the language-wide
// fields (Extensions, VSCodeID) live in the default runtime's file only, and a runtime's file
// that leaves SourceFile or Hello empty takes the default's.
//
// Command templates (Compile, Run) are argv lists; these placeholders are replaced in each
// element: {file} the main file's name relative to /work, {stem} that name without its extension;
// a word {sources} becomes the main file and every other file of the request with its extension.
// The program's args are appended to Run. Compile and Run both start in /work, which is writable.
type Language struct {
	ID   string `toml:"id"`   // the language's id, shared by its runtimes: "python"
	Name string `toml:"name"` // "Python (CPython)", "Python (PyPy)"
	// Runtime names this runtime among the language's ("cpython", "pypy", "gcc", "clang",
	// "node", "bun"); "" in a file means the language's id. RuntimeName is how people write it
	// ("PyPy", "Node.js"); "" means Runtime.
	Runtime     string `toml:"runtime"`
	RuntimeName string `toml:"runtime_name"`
	// Aliases of the default runtime name the language; a runtime's own aliases ("pypy", "bun",
	// "clang") name the language with that runtime.
	Aliases    []string `toml:"aliases"`    // "py", "python3"
	Extensions []string `toml:"extensions"` // ".py", lowercase
	VSCodeID   string   `toml:"vscode_id"`  // VS Code languageId, "python"
	Shebangs   []string `toml:"shebangs"`   // interpreter names in a #! line: "python3", "python"
	// SourceFile is the main file's name when a request gives none ("main.py", "Main.java").
	SourceFile string   `toml:"source_file"`
	Compile    []string `toml:"compile"` // empty for interpreted languages
	Run        []string `toml:"run"`
	// Requires names programs the commands need beyond Compile[0] and Run[0] (a linker called
	// from a shell line, the JVM behind a launcher script); Detect checks them too.
	Requires []string `toml:"requires"`
	Version  []string `toml:"version"` // command printing the version (run on the host)
	// VersionRegex picks the version out of Version's output (first group); "" means first line.
	VersionRegex string `toml:"version_regex"`
	// Paths are toolchain dirs (or files) the sandbox must see, read-only, beyond /usr, /lib*,
	// /bin, /sbin and the few /etc entries every sandbox has (e.g. "/etc/racket"); those
	// missing on a host are skipped.
	Paths   []string  `toml:"paths"`
	Env     []string  `toml:"env"`     // "KEY=value", added to the sandbox's minimal environment; "$PATH" already expanded
	Package string    `toml:"package"` // how to install: "apt-get install python3"
	Limits  Overrides `toml:"limits"`
	// Hello is a hello-world program for the browser page and docs.
	Hello string `toml:"hello"`
	// Matchers find compiler errors and runtime tracebacks in the output (see Matcher).
	Matchers []Matcher `toml:"matcher"`

	versionRe func() *regexp.Regexp // VersionRegex compiled (on first use, see validate); nil when ""
	isDefault bool                  // read from <id>.toml
}

// file is the name of the definition's file: <id>.toml, or <id>-<runtime>.toml.
func (l *Language) file() string {
	if l.isDefault {
		return l.ID + ".toml"
	}
	return l.ID + "-" + l.Runtime + ".toml"
}

// Default reports whether this is its language's default runtime (the one in <id>.toml).
func (l *Language) Default() bool { return l.isDefault }

// Key names this runtime uniquely among every definition: the language id for the default
// runtime, "<id>/<runtime>" for the others ("javascript/bun").
func (l *Language) Key() string {
	if l.isDefault {
		return l.ID
	}
	return l.ID + "/" + l.Runtime
}

// DisplayRuntime is RuntimeName, else Runtime.
func (l *Language) DisplayRuntime() string {
	if l.RuntimeName != "" {
		return l.RuntimeName
	}
	return l.Runtime
}

// Overrides raise or lower the executor's default limits for one language (JVMs need more
// memory and processes). Zero means "the default".
type Overrides struct {
	CPUTimeMs        int64 `toml:"cpu_time_ms"`
	MemoryMiB        int64 `toml:"memory_mib"`
	Processes        int   `toml:"processes"`
	CompileCPUTimeMs int64 `toml:"compile_cpu_time_ms"`
	CompileMemoryMiB int64 `toml:"compile_memory_mib"`
	CompileProcesses int   `toml:"compile_processes"`
}

// Compiled reports whether the language has a compile stage.
func (l *Language) Compiled() bool { return len(l.Compile) > 0 }

// SearchPath is the PATH the language's commands run with: its Env's PATH, else DefaultPath.
func (l *Language) SearchPath() string {
	for _, kv := range l.Env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			return v
		}
	}
	return DefaultPath
}

// Programs lists the programs that must exist for the language to work: Compile[0], Run[0]
// and Requires, without duplicates, skipping the program being built ("./{stem}").
func (l *Language) Programs() []string {
	var out []string
	add := func(p string) {
		if p == "" || strings.Contains(p, "{") {
			return
		}
		for _, o := range out {
			if o == p {
				return
			}
		}
		out = append(out, p)
	}
	if l.Compiled() {
		add(l.Compile[0])
	}
	add(l.Run[0])
	for _, r := range l.Requires {
		add(r)
	}
	return out
}

// Expand returns argv with {file} and {stem} replaced for the main file main (relative to /work),
// and a word {sources} replaced by main alone (ExpandSources names the other sources too).
func Expand(argv []string, main string) []string { return ExpandSources(argv, main, nil) }

// ExpandSources is Expand for a program of several files (names, relative to /work, in the
// request's order): a word {sources} becomes main followed by every other name with main's
// extension ("main.c util.c": a compiler given them all links them together).
func ExpandSources(argv []string, main string, names []string) []string {
	ext := path.Ext(main)
	stem := strings.TrimSuffix(main, ext)
	r := strings.NewReplacer("{file}", main, "{stem}", stem)
	out := make([]string, 0, len(argv))
	for _, a := range argv {
		switch a {
		case "{file}":
			out = append(out, notAnOption(main))
		case "{stem}":
			out = append(out, notAnOption(stem))
		case "{sources}":
			out = append(out, notAnOption(main))
			for _, n := range names {
				if n != main && ext != "" && path.Ext(n) == ext {
					out = append(out, notAnOption(n))
				}
			}
		default:
			out = append(out, r.Replace(a))
		}
	}
	return out
}

// notAnOption is a file name as a command's word of its own ({file}, {stem}, {sources}): a name
// starting with "-" (a request may name a file "-o.c") becomes "./-o.c", so the compiler,
// linker or interpreter reads it as a file, not as one of its options.
func notAnOption(name string) string {
	if strings.HasPrefix(name, "-") {
		return "./" + name
	}
	return name
}
