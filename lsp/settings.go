package lsp

import (
	stdjson "encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.lsp.dev/protocol"
)

// Settings are the client's sandrun.* settings.
type Settings struct {
	Executor    string        // "local" or "tcp://host:port"
	TokenFile   string        // token of a remote executor
	TLSCA       string        // CA certificate (PEM) of a remote executor that speaks TLS
	TimeLimit   time.Duration // CPU limit of a run; 0 means the language's default
	MemoryLimit int64         // bytes; 0 means the language's default
	// Runtime picks a runtime per language id ({"javascript": "bun", "c": "clang"}); a
	// language not in it runs with its default runtime.
	Runtime map[string]string
}

func (st Settings) executorConfig() ExecutorConfig {
	return ExecutorConfig{Spec: st.Executor, TokenFile: st.TokenFile, TLSCA: st.TLSCA}
}

// settingsStore holds the settings in force.
type settingsStore struct {
	defaults Settings

	mu  sync.Mutex
	cur Settings
}

func newSettingsStore(defaults Settings) *settingsStore {
	return &settingsStore{defaults: defaults, cur: defaults}
}

func (ss *settingsStore) get() Settings {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return ss.cur
}

// didChangeConfiguration takes the new settings. Clients that send none (settings null, the
// pull model) are asked for the "sandrun" section with workspace/configuration.
func (s *Server) didChangeConfiguration(params stdjson.RawMessage) error {
	var p struct {
		Settings stdjson.RawMessage `json:"settings"`
	}
	if err := decodeParams(params, &p); err != nil {
		return err
	}
	if _, found := sandrunSection(p.Settings); !found {
		go s.pullSettings()
		return nil
	}
	for _, w := range s.applySettings(p.Settings) {
		s.showMessage(protocol.MessageTypeWarning, w)
	}
	return nil
}

// pullSettings asks the client for the "sandrun" section (workspace/configuration). It runs on
// its own goroutine: a request to the client made on the read loop would wait for itself.
func (s *Server) pullSettings() {
	s.clientMu.Lock()
	can := s.configurationClient
	s.clientMu.Unlock()
	if !can {
		return
	}
	var items []stdjson.RawMessage
	params := protocol.ConfigurationParams{Items: []protocol.ConfigurationItem{{Section: "sandrun"}}}
	if err := s.call(protocol.MethodWorkspaceConfiguration, params, &items, 10*time.Second); err != nil {
		s.logf("workspace/configuration: %v", err)
		return
	}
	if len(items) == 0 || string(items[0]) == "null" {
		return
	}
	for _, w := range s.applySettings(items[0]) {
		s.showMessage(protocol.MessageTypeWarning, w)
	}
}

// applySettings replaces the settings with the defaults overlaid by what raw sets, and returns a
// sentence for each value it could not use (that setting keeps its default). raw may be
// {"sandrun": {...}}, {"sandrun.executor": ...} or the bare section {"executor": ...}.
func (s *Server) applySettings(raw stdjson.RawMessage) []string {
	section, _ := sandrunSection(raw)
	next, warnings := s.settings.defaults, []string(nil)
	for key, v := range section {
		var err error
		switch strings.ToLower(key) {
		case "executor":
			next.Executor, err = settingString(v, s.settings.defaults.Executor)
			if err == nil {
				if err = s.checkSpec(next.Executor); err != nil {
					next.Executor = s.settings.defaults.Executor
				}
			}
		case "tokenfile":
			next.TokenFile, err = settingString(v, s.settings.defaults.TokenFile)
		case "tlsca":
			next.TLSCA, err = settingString(v, s.settings.defaults.TLSCA)
		case "timelimit":
			next.TimeLimit, err = parseTimeLimit(v)
		case "memorylimit":
			next.MemoryLimit, err = parseMemoryLimit(v)
		case "runtime":
			next.Runtime, err = s.parseRuntimes(v)
		}
		if err != nil {
			warnings = append(warnings, fmt.Sprintf("setting sandrun.%s: %v", key, err))
		}
	}
	s.settings.mu.Lock()
	s.settings.cur = next
	s.settings.mu.Unlock()
	s.backends.configure(next.executorConfig())
	return warnings
}

// sandrunSection finds the sandrun settings in raw; found is false when raw holds none.
func sandrunSection(raw stdjson.RawMessage) (section map[string]any, found bool) {
	var m map[string]any
	if err := stdjson.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, false
	}
	if sub, ok := m["sandrun"].(map[string]any); ok {
		return sub, true
	}
	section = map[string]any{}
	for k, v := range m {
		section[strings.TrimPrefix(k, "sandrun.")] = v
	}
	for _, k := range []string{"executor", "tokenFile", "tlsCA", "timeLimit", "memoryLimit", "runtime"} {
		if _, ok := section[k]; ok {
			return section, true
		}
	}
	return section, false
}

// parseRuntimes reads sandrun.runtime: an object from language (id or alias) to runtime name,
// each checked against the definitions; null or {} means every language's default.
func (s *Server) parseRuntimes(v any) (map[string]string, error) {
	if v == nil {
		return nil, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("want an object from language to runtime, such as {\"javascript\": \"bun\"}")
	}
	out := map[string]string{}
	for name, rv := range m {
		rt, ok := rv.(string)
		lang, known := s.langs.Lookup(name)
		switch {
		case !ok:
			return nil, fmt.Errorf("%s: want a runtime name, such as \"bun\"", name)
		case !known:
			return nil, fmt.Errorf("unknown language %q", name)
		case strings.TrimSpace(rt) == "":
			continue
		}
		if _, ok := s.langs.Runtime(lang.ID, rt); !ok {
			var names []string
			for _, l := range s.langs.Runtimes(lang.ID) {
				names = append(names, l.Runtime)
			}
			return nil, fmt.Errorf("%s has no runtime %q; its runtimes: %s", lang.ID, rt, strings.Join(names, ", "))
		}
		out[lang.ID] = rt
	}
	return out, nil
}

func settingString(v any, def string) (string, error) {
	switch v := v.(type) {
	case nil:
		return def, nil
	case string:
		if strings.TrimSpace(v) == "" {
			return def, nil
		}
		return strings.TrimSpace(v), nil
	}
	return def, fmt.Errorf("%v is not a string", v)
}

// parseTimeLimit reads a number of seconds (2, 0.5, "2") or a Go duration ("1500ms", "2s").
// 0, "" and null mean the default.
func parseTimeLimit(v any) (time.Duration, error) {
	bad := fmt.Errorf("%v is not a time limit; use a number of seconds (2) or a duration (\"1500ms\", \"2s\")", v)
	var secs float64
	switch v := v.(type) {
	case nil:
		return 0, nil
	case float64:
		secs = v
	case string:
		v = strings.TrimSpace(v)
		if v == "" {
			return 0, nil
		}
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			secs = f
			break
		}
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return 0, bad
		}
		return d, nil
	default:
		return 0, bad
	}
	if secs < 0 || math.IsNaN(secs) || secs > 1e6 {
		return 0, bad
	}
	return time.Duration(secs * float64(time.Second)), nil
}

// parseMemoryLimit reads a number of MiB (256, "256") or a size with a unit ("256MiB", "1G",
// "512k"; K, M, G are binary like KiB, MiB, GiB; KB, MB, GB decimal as in "sandrun run").
// 0, "" and null mean the default.
func parseMemoryLimit(v any) (int64, error) {
	bad := fmt.Errorf("%v is not a memory limit; use a number of MiB (256) or a size (\"256MiB\", \"1GiB\")", v)
	switch v := v.(type) {
	case nil:
		return 0, nil
	case float64:
		if v < 0 || v > 1<<30 {
			return 0, bad
		}
		return int64(v * (1 << 20)), nil
	case string:
		n, err := parseSize(v, 1<<20)
		if err != nil {
			return 0, bad
		}
		return n, nil
	}
	return 0, bad
}

// parseSize reads a size such as "256MiB", "1G", "512k", "100B" or a plain number (in units of
// def bytes). K, M, G and KiB, MiB, GiB are binary; KB, MB, GB decimal. "" is 0.
func parseSize(s string, def int64) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	i := strings.IndexFunc(s, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	num, unit := s, ""
	if i >= 0 {
		num, unit = s[:i], strings.ToLower(strings.TrimSpace(s[i:]))
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f < 0 {
		return 0, fmt.Errorf("size %q: want a number with an optional unit (B, KiB, MiB, GiB)", s)
	}
	mult := def
	switch unit {
	case "":
	case "b":
		mult = 1
	case "k", "kib":
		mult = 1 << 10
	case "m", "mib":
		mult = 1 << 20
	case "g", "gib":
		mult = 1 << 30
	case "kb":
		mult = 1000
	case "mb":
		mult = 1000 * 1000
	case "gb":
		mult = 1000 * 1000 * 1000
	default:
		return 0, fmt.Errorf("size %q: unknown unit %q; use B, KiB, MiB, GiB (or KB, MB, GB)", s, unit)
	}
	if f*float64(mult) > 1<<50 {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	return int64(f * float64(mult)), nil
}

// checkSpec says whether spec names an executor, with Options.CheckSpec when given.
func (s *Server) checkSpec(spec string) error {
	if s.opts.CheckSpec != nil {
		return s.opts.CheckSpec(spec)
	}
	if spec != "local" && !strings.HasPrefix(spec, "tcp://") {
		return fmt.Errorf("%q is not an executor; use \"local\" or \"tcp://HOST:PORT\"", spec)
	}
	return nil
}
