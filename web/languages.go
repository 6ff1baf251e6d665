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

// resolveLanguage finds the installed runtime a request names: the language by id or alias
// (any case; a runtime's alias such as "pypy" or "deno" names the language with that runtime),
// the runtime by name when given, and, among the candidates (the default runtime, or every
// installed runtime when a version selector is given), the first whose version satisfies
// selector (see matchVersion). The answer is the language's info with Runtime and Version set
// to the chosen runtime's. Errors are *executor.RequestError for the fields "language",
// "runtime" and "version", or the executor's own error.
func (s *Server) resolveLanguage(ctx context.Context, name, runtime, selector string) (executor.LanguageInfo, error) {
	infos, err := s.exec.Languages(ctx)
	if err != nil {
		return executor.LanguageInfo{}, err
	}
	info, forced, ok := findLanguage(infos, name)
	switch {
	case strings.TrimSpace(name) == "":
		return info, executor.Invalid("language", "is required; GET /api/v1/languages lists the languages")
	case !ok:
		return info, executor.Invalid("language", "unknown language %q; GET /api/v1/languages lists the languages", name)
	}
	if runtime = strings.TrimSpace(runtime); runtime != "" {
		rt, ok := findRuntime(info, runtime)
		if !ok {
			names := make([]string, len(info.Runtimes))
			for i, r := range info.Runtimes {
				names[i] = r.Runtime
			}
			return info, executor.Invalid("runtime", "%s has no runtime %q; its runtimes: %s", info.ID, runtime, strings.Join(names, ", "))
		}
		forced = &rt
	}
	var candidates []executor.RuntimeInfo
	switch {
	case forced != nil:
		candidates = []executor.RuntimeInfo{*forced}
	case len(info.Runtimes) == 0:
		candidates = []executor.RuntimeInfo{{Runtime: info.Runtime, Name: info.Name, Version: info.Version,
			Available: info.Available, Missing: info.Missing}}
	case selector == "" || selector == "*":
		for _, rt := range info.Runtimes {
			if rt.Runtime == info.Runtime {
				candidates = []executor.RuntimeInfo{rt}
			}
		}
	default:
		candidates = info.Runtimes
	}
	var installed []string
	for _, rt := range candidates {
		if !rt.Available {
			continue
		}
		installed = append(installed, strings.TrimSpace(rt.Name+" "+rt.Version))
		if selector != "" && selector != "*" {
			match, err := matchVersion(rt.Version, selector)
			if err != nil {
				return info, executor.Invalid("version", "%q is not a version selector; send e.g. \"*\", \"3\", \"3.11\", \"3.11.2\" or \">=3.8\"", selector)
			}
			if !match {
				continue
			}
		}
		info.Runtime, info.Version = rt.Runtime, rt.Version
		return info, nil
	}
	if len(installed) == 0 {
		missing := info.Missing
		if len(candidates) == 1 {
			missing = candidates[0].Missing
		}
		return info, executor.Invalid("language", "%s is not installed on this server: %s", info.Name,
			cmpOr(missing, "its toolchain was not found"))
	}
	return info, executor.Invalid("version", "%s %q is not installed here; this server has %s (send \"*\" for any)", info.ID, selector, strings.Join(installed, ", "))
}

// findRuntime finds a runtime of info by runtime name, display name or alias, any case.
func findRuntime(info executor.LanguageInfo, name string) (executor.RuntimeInfo, bool) {
	name = strings.ToLower(name)
	for _, rt := range info.Runtimes {
		if strings.ToLower(rt.Runtime) == name || strings.ToLower(rt.Name) == name {
			return rt, true
		}
	}
	for _, rt := range info.Runtimes {
		for _, a := range rt.Aliases {
			if strings.ToLower(a) == name {
				return rt, true
			}
		}
	}
	return executor.RuntimeInfo{}, false
}

// findLanguage looks name up among infos by id or alias, case-insensitively; a runtime's own
// alias finds its language and that runtime (forced).
func findLanguage(infos []executor.LanguageInfo, name string) (info executor.LanguageInfo, forced *executor.RuntimeInfo, ok bool) {
	name = strings.ToLower(strings.TrimSpace(name))
	for _, info := range infos {
		if strings.ToLower(info.ID) == name {
			return info, nil, true
		}
	}
	for _, info := range infos {
		for _, a := range info.Aliases {
			if strings.ToLower(a) == name {
				return info, nil, true
			}
		}
	}
	for _, info := range infos {
		for _, rt := range info.Runtimes {
			if rt.Default {
				continue
			}
			for _, a := range rt.Aliases {
				if strings.ToLower(a) == name {
					return info, &rt, true
				}
			}
		}
	}
	return executor.LanguageInfo{}, nil, false
}
