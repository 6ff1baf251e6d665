package main

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/languages"
)

// maxSourceFile bounds a source file read from disk.
const maxSourceFile = executor.MaxSourceSize

// readSource reads a source file for running and picks its language: langFlag if given, else
// the extension, else a shebang line. File "-" is sandrun's stdin, and then langFlag is needed.
// Errors are usage errors (exit 2): sentences a person can act on.
func readSource(set *languages.Set, file, langFlag string) (*languages.Language, executor.File, error) {
	if file == "-" {
		return readSourceStdin(set, langFlag)
	}
	st, err := os.Stat(file)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, executor.File{}, usageError("%s: no such file", file)
	case err != nil:
		return nil, executor.File{}, usageError("%s: %v", file, unwrapPath(err))
	case st.IsDir():
		return nil, executor.File{}, usageError("%s is a directory; give a source file such as %s", file, filepath.Join(file, "main.py"))
	case !st.Mode().IsRegular():
		return nil, executor.File{}, usageError("%s is not a regular file; to pass the source on stdin, give - as FILE with --lang", file)
	case st.Size() > maxSourceFile:
		return nil, executor.File{}, usageError("%s is %s; sources of at most %s are accepted", file, executor.FormatBytes(st.Size()), executor.FormatBytes(maxSourceFile))
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, executor.File{}, usageError("%s: %v", file, unwrapPath(err))
	}
	if bytes.IndexByte(data[:min(len(data), 8192)], 0) >= 0 {
		return nil, executor.File{}, usageError("%s looks binary (it holds NUL bytes); sandrun runs source files", file)
	}
	lang, err := pickLanguage(set, file, langFlag, data)
	if err != nil {
		return nil, executor.File{}, err
	}
	return lang, executor.File{Name: sourceName(file, lang), Content: data}, nil
}

// readSourceStdin reads the source from sandrun's stdin (FILE "-"); langFlag names its language.
func readSourceStdin(set *languages.Set, langFlag string) (*languages.Language, executor.File, error) {
	if langFlag == "" {
		return nil, executor.File{}, usageError("with - as FILE the source comes on stdin and has no name to tell its language by; pass --lang (e.g. --lang python)")
	}
	lang, err := pickLanguage(set, "-", langFlag, nil)
	if err != nil {
		return nil, executor.File{}, err
	}
	data, err := io.ReadAll(io.LimitReader(os.Stdin, maxSourceFile+1))
	switch {
	case err != nil:
		return nil, executor.File{}, usageError("read the source from stdin: %v", err)
	case len(data) > maxSourceFile:
		return nil, executor.File{}, usageError("the source on stdin is larger than %s, the most accepted", executor.FormatBytes(maxSourceFile))
	case bytes.IndexByte(data[:min(len(data), 8192)], 0) >= 0:
		return nil, executor.File{}, usageError("the source on stdin looks binary (it holds NUL bytes); sandrun runs source files")
	}
	return lang, executor.File{Name: sourceName("-", lang), Content: data}, nil
}

// pickLanguage chooses the language of a source: the flag, the extension, then the shebang.
func pickLanguage(set *languages.Set, file, langFlag string, data []byte) (*languages.Language, error) {
	if langFlag != "" {
		if l, ok := set.Lookup(langFlag); ok {
			return l, nil
		}
		return nil, usageError("unknown language %q; run \"sandrun languages\" to list them", langFlag)
	}
	if l, ok := set.ByExtension(file); ok {
		return l, nil
	}
	if l, ok := set.ByShebang(data); ok {
		return l, nil
	}
	ext := filepath.Ext(file)
	if ext == "" {
		return nil, usageError("cannot tell the language of %s: it has no extension and no #! line; pass --lang (e.g. --lang python); \"sandrun languages\" lists them", file)
	}
	return nil, usageError("cannot tell the language of %s from its extension %q; pass --lang (e.g. --lang python); \"sandrun languages\" lists them", file, ext)
}

// sourceName is the name the file gets in the sandbox: its own base name when that is a safe
// name with the language's extension, else the language's default source file name.
func sourceName(file string, lang *languages.Language) string {
	base := filepath.Base(file)
	for _, ext := range lang.Extensions {
		if strings.HasSuffix(strings.ToLower(base), ext) && !strings.ContainsAny(base, " \t\\") {
			return base
		}
	}
	if lang.SourceFile != "" {
		return lang.SourceFile
	}
	return "main" + firstOr(lang.Extensions, "")
}

func firstOr(s []string, def string) string {
	if len(s) > 0 {
		return s[0]
	}
	return def
}

// pathsFlag is a repeatable flag of paths, each taken as written (no splitting on commas).
type pathsFlag []string

func (p *pathsFlag) String() string { return strings.Join(*p, " ") }

func (p *pathsFlag) Set(v string) error {
	if v == "" {
		return errors.New("is empty; give a file's path")
	}
	*p = append(*p, v)
	return nil
}

// readWith reads the --with files that go into the sandbox beside FILE, each named by its path
// relative to FILE's directory ("util.py", "data/in.txt"), as the program finds them when it
// runs from there; srcName is the name FILE itself gets. Errors are usage errors (exit 2).
func readWith(file, srcName string, paths []string) ([]executor.File, error) {
	if len(paths) == 0 {
		return nil, nil
	}
	dir := "."
	if file != "-" {
		dir = filepath.Dir(file)
	}
	absDir, err := filepath.Abs(dir)
	if err != nil {
		return nil, usageError("%s: %v", dir, err)
	}
	files := make([]executor.File, 0, len(paths))
	seen := map[string]bool{srcName: true}
	for _, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			return nil, usageError("--with %s: %v", p, err)
		}
		rel, err := filepath.Rel(absDir, abs)
		if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return nil, usageError("--with %s is not under %s, the directory of %s: only files under it can go into the sandbox beside it", p, dir, file)
		}
		name := filepath.ToSlash(rel)
		st, err := os.Stat(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil, usageError("--with %s: no such file", p)
		case err != nil:
			return nil, usageError("--with %s: %v", p, unwrapPath(err))
		case st.IsDir():
			return nil, usageError("--with %s is a directory; name its files (e.g. --with %s)", p, filepath.Join(p, "util.py"))
		case !st.Mode().IsRegular():
			return nil, usageError("--with %s is not a regular file", p)
		case seen[name]:
			return nil, usageError("--with %s is already in the sandbox as %s", p, name)
		case st.Size() > maxSourceFile:
			return nil, usageError("--with %s is %s; the files sent together may be at most %s", p, executor.FormatBytes(st.Size()), executor.FormatBytes(maxSourceFile))
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, usageError("--with %s: %v", p, unwrapPath(err))
		}
		seen[name] = true
		files = append(files, executor.File{Name: name, Content: data})
	}
	return files, nil
}
