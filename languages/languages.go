// Package languages holds the language definitions (one TOML file per language, embedded) and
// finds which toolchains this host has, with their versions.
//
// It is not for running anything in a sandbox: it only says what to run (package executor does).
package languages

// Language is one language definition, read from languages/defs/<id>.toml.
//
// Command templates (Compile, Run) are argv lists; these placeholders are replaced in each
// element: {file} the main file's name relative to /work, {stem} that name without its extension.
// The program's args are appended to Run.
type Language struct {
	ID         string   `toml:"id"`         // "python"
	Name       string   `toml:"name"`       // "Python"
	Aliases    []string `toml:"aliases"`    // "py", "python3"
	Extensions []string `toml:"extensions"` // ".py"
	VSCodeID   string   `toml:"vscode_id"`  // VS Code languageId, "python"
	Shebangs   []string `toml:"shebangs"`   // interpreter names in a #! line: "python3", "python"
	// SourceFile is the main file's name when a request gives none ("main.py", "Main.java").
	SourceFile string   `toml:"source_file"`
	Compile    []string `toml:"compile"` // empty for interpreted languages
	Run        []string `toml:"run"`
	Version    []string `toml:"version"` // command printing the version (run on the host)
	// VersionRegex picks the version out of Version's output (first group); "" means first line.
	VersionRegex string    `toml:"version_regex"`
	Paths        []string  `toml:"paths"`   // toolchain dirs the sandbox must see (read-only), beyond /usr, /lib*, /bin, /etc
	Env          []string  `toml:"env"`     // "KEY=value", added to the sandbox's minimal environment
	Package      string    `toml:"package"` // how to install: "apt-get install python3"
	Limits       Overrides `toml:"limits"`
	// Hello is a hello-world program for the browser page and docs.
	Hello string `toml:"hello"`
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
