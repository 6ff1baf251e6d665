package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/languages"
)

// maxSourceFile bounds a source file read from disk.
const maxSourceFile = executor.MaxSourceSize

// readSource reads a source file for running and picks its language: langFlag if given, else
// the extension, else a shebang line. Errors are sentences a person can act on.
func readSource(set *languages.Set, file, langFlag string) (*languages.Language, executor.File, error) {
	st, err := os.Stat(file)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, executor.File{}, fmt.Errorf("%s: no such file", file)
	case err != nil:
		return nil, executor.File{}, err
	case st.IsDir():
		return nil, executor.File{}, fmt.Errorf("%s is a directory; give a source file such as %s", file, filepath.Join(file, "main.py"))
	case !st.Mode().IsRegular():
		return nil, executor.File{}, fmt.Errorf("%s is not a regular file", file)
	case st.Size() > maxSourceFile:
		return nil, executor.File{}, fmt.Errorf("%s is %s; sources of at most %s are accepted", file, executor.FormatBytes(st.Size()), executor.FormatBytes(maxSourceFile))
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, executor.File{}, err
	}
	if bytes.IndexByte(data[:min(len(data), 8192)], 0) >= 0 {
		return nil, executor.File{}, fmt.Errorf("%s looks binary (it holds NUL bytes); sandrun runs source files", file)
	}
	lang, err := pickLanguage(set, file, langFlag, data)
	if err != nil {
		return nil, executor.File{}, err
	}
	return lang, executor.File{Name: sourceName(file, lang), Content: data}, nil
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

// parseBytes reads a size such as "256MiB", "256M", "1GiB", "512KiB", "4096" (bytes).
func parseBytes(s string) (int64, error) {
	t := strings.TrimSpace(s)
	units := []struct {
		suffix string
		mult   int64
	}{
		{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30},
		{"KB", 1000}, {"MB", 1000 * 1000}, {"GB", 1000 * 1000 * 1000},
		{"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"B", 1},
	}
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(strings.ToUpper(t), strings.ToUpper(u.suffix)) {
			t, mult = strings.TrimSpace(t[:len(t)-len(u.suffix)]), u.mult
			break
		}
	}
	n, err := strconv.ParseFloat(t, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a size; write it like 256MiB, 1GiB or 512KiB", s)
	}
	return int64(n * float64(mult)), nil
}
