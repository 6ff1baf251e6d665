package web

import (
	"context"
	"net/http"
	"strings"

	"github.com/sandrun/sandrun/executor"
)

// Language is one entry of GET /api/v1/languages: what the executor offers, plus the file name
// a lone source gets and a hello-world program (for the page's example button).
type Language struct {
	executor.LanguageInfo
	SourceFile string `json:"source_file,omitempty"`
	Hello      string `json:"hello,omitempty"`
}

// handleLanguages answers GET /api/v1/languages: every language the executor knows, installed
// or not (Available and Missing tell), sorted by id.
func (s *Server) handleLanguages(w http.ResponseWriter, r *http.Request) {
	infos, err := s.exec.Languages(r.Context())
	if err != nil {
		s.writeRunError(w, r, err)
		return
	}
	out := make([]Language, 0, len(infos))
	for _, info := range infos {
		l := Language{LanguageInfo: info}
		if def, ok := s.langs.Lookup(info.ID); ok {
			l.SourceFile, l.Hello = def.SourceFile, def.Hello
		}
		out = append(out, l)
	}
	writeJSON(w, http.StatusOK, out)
}

// resolveLanguage finds the installed language a request names (id or alias, any case) and
// checks its version against selector (see matchVersion). Errors are *executor.RequestError for
// the fields "language" and "version", or the executor's own error.
func (s *Server) resolveLanguage(ctx context.Context, name, selector string) (executor.LanguageInfo, error) {
	infos, err := s.exec.Languages(ctx)
	if err != nil {
		return executor.LanguageInfo{}, err
	}
	info, ok := findLanguage(infos, name)
	switch {
	case strings.TrimSpace(name) == "":
		return info, executor.Invalid("language", "is required; GET /api/v1/languages lists the languages")
	case !ok:
		return info, executor.Invalid("language", "unknown language %q; GET /api/v1/languages lists the languages", name)
	case !info.Available:
		return info, executor.Invalid("language", "%s is not installed on this server: %s", info.Name,
			cmpOr(info.Missing, "its toolchain was not found"))
	}
	if selector == "" || selector == "*" {
		return info, nil
	}
	match, err := matchVersion(info.Version, selector)
	if err != nil {
		return info, executor.Invalid("version", "%q is not a version selector; send e.g. \"*\", \"3\", \"3.11\", \"3.11.2\" or \">=3.8\"", selector)
	}
	if !match {
		return info, executor.Invalid("version", "%s %q is not installed here; this server has %s %s (send \"*\" for any)", info.Name, selector, info.Name, info.Version)
	}
	return info, nil
}

// findLanguage looks name up among infos by id or alias, case-insensitively.
func findLanguage(infos []executor.LanguageInfo, name string) (executor.LanguageInfo, bool) {
	name = strings.ToLower(strings.TrimSpace(name))
	for _, info := range infos {
		if strings.ToLower(info.ID) == name {
			return info, true
		}
	}
	for _, info := range infos {
		for _, a := range info.Aliases {
			if strings.ToLower(a) == name {
				return info, true
			}
		}
	}
	return executor.LanguageInfo{}, false
}
