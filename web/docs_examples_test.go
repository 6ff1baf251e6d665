package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/executor/executortest"
)

// TestDocsCurlExamples sends every curl example of README.md and docs/*.md, exactly as written
// (method, path, headers, body), to a server around the fake executor: a reader who pastes one
// must not get an answer that blames the request's shape (a missing Content-Type, a body that is
// not JSON, a wrong method or field). Placeholders such as a job id may still be 404.
func TestDocsCurlExamples(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	files = append([]string{filepath.Join("..", "README.md")}, files...)
	// The fake's languages, C with its GCC runtime (Judge0's C ids name it).
	f := newFake(nil)
	f.Langs = slices.Clone(executortest.FakeLanguages)
	for i, l := range f.Langs {
		if l.ID == "c" {
			l.Runtime = "gcc"
			l.Runtimes = []executor.RuntimeInfo{{Runtime: "gcc", Name: "GCC", Version: l.Version, Default: true, Compiled: true, Available: true}}
			f.Langs[i] = l
		}
	}
	s := newTestServer(t, f, Options{})
	sent := 0
	for _, file := range files {
		text, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, cmd := range curlCommands(string(text)) {
			req, ok := curlRequest(t, cmd)
			if !ok {
				continue
			}
			sent++
			w := httptest.NewRecorder()
			s.ServeHTTP(w, req)
			switch w.Code {
			case http.StatusBadRequest, http.StatusMethodNotAllowed, http.StatusRequestEntityTooLarge,
				http.StatusUnsupportedMediaType, http.StatusUnprocessableEntity:
				t.Errorf("%s: %s\nanswered %d: %s", filepath.Base(file), strings.Join(cmd, " "), w.Code, w.Body)
			}
		}
	}
	if sent < 5 {
		t.Fatalf("sent %d curl examples; want the README's and docs' (did the code blocks change shape?)", sent)
	}
}

// curlCommands returns the words of each curl command in the ```sh blocks of a Markdown text,
// split as sh splits them (quotes may span lines; a trailing backslash continues a line; an
// unquoted # starts a comment).
func curlCommands(md string) [][]string {
	var out [][]string
	inBlock := false
	var block strings.Builder
	for _, line := range strings.SplitAfter(md, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "```") {
			if inBlock {
				for _, cmd := range shellCommands(block.String()) {
					if len(cmd) > 0 && cmd[0] == "curl" {
						out = append(out, cmd)
					}
				}
				block.Reset()
			}
			inBlock = !inBlock && (trimmed == "```sh" || trimmed == "```bash" || trimmed == "```shell")
			continue
		}
		if inBlock {
			block.WriteString(line)
		}
	}
	return out
}

// shellCommands splits a script into commands (at unquoted newlines and ;) of words.
func shellCommands(script string) [][]string {
	var cmds [][]string
	var words []string
	var cur strings.Builder
	inWord := false
	endWord := func() {
		if inWord {
			words = append(words, cur.String())
		}
		cur.Reset()
		inWord = false
	}
	endCmd := func() {
		endWord()
		if len(words) > 0 {
			cmds = append(cmds, words)
		}
		words = nil
	}
	for i := 0; i < len(script); i++ {
		c := script[i]
		switch {
		case c == '\'':
			end := strings.IndexByte(script[i+1:], '\'')
			if end < 0 {
				end = len(script) - i - 1
			}
			cur.WriteString(script[i+1 : i+1+end])
			i += end + 1
			inWord = true
		case c == '"':
			j := i + 1
			for ; j < len(script) && script[j] != '"'; j++ {
				if script[j] == '\\' && j+1 < len(script) && strings.IndexByte("\"\\$`", script[j+1]) >= 0 {
					j++
				}
				cur.WriteByte(script[j])
			}
			i = j
			inWord = true
		case c == '\\' && i+1 < len(script):
			i++
			if script[i] != '\n' {
				cur.WriteByte(script[i])
				inWord = true
			}
		case c == '#' && !inWord:
			for i < len(script) && script[i] != '\n' {
				i++
			}
			endCmd()
		case c == '\n' || c == ';' || c == '|' || c == '&':
			endCmd()
		case c == ' ' || c == '\t':
			endWord()
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	endCmd()
	return cmds
}

// curlRequest builds the request curl would send for cmd's words, or false when cmd does not
// talk to this server (another host, an option this test does not know).
func curlRequest(t *testing.T, cmd []string) (*http.Request, bool) {
	t.Helper()
	method, target, body := "", "", ""
	hasBody := false
	header := http.Header{}
	for i := 1; i < len(cmd); i++ {
		arg := cmd[i]
		next := func() string {
			i++
			if i >= len(cmd) {
				t.Fatalf("%q: %s needs a value", strings.Join(cmd, " "), arg)
			}
			return cmd[i]
		}
		switch arg {
		case "-s", "-sS", "-S", "--silent", "-i", "-v":
		case "-X", "--request":
			method = next()
		case "-H", "--header":
			k, v, _ := strings.Cut(next(), ":")
			header.Add(strings.TrimSpace(k), strings.TrimSpace(v))
		case "-d", "--data", "--data-raw", "--data-binary":
			body += next()
			hasBody = true
		default:
			if strings.HasPrefix(arg, "-") {
				return nil, false
			}
			target = arg
		}
	}
	if !strings.Contains(target, "://") {
		target = "http://" + target
	}
	u, err := url.Parse(target)
	if err != nil || u.Hostname() != "localhost" && u.Hostname() != "127.0.0.1" {
		return nil, false
	}
	if method == "" {
		method = "GET"
		if hasBody {
			method = "POST"
		}
	}
	req := httptest.NewRequest(method, u.RequestURI(), strings.NewReader(body))
	req.Host = u.Host
	if hasBody && header.Get("Content-Type") == "" {
		header.Set("Content-Type", "application/x-www-form-urlencoded") // what curl -d sends
	}
	for k, v := range header {
		req.Header[k] = v
	}
	return req, true
}
