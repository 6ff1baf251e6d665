package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestClientFilesAreInputs: a --token-file or --tls-ca that is missing or is not a token (a CA)
// is a mistake in the command's inputs: exit 2 and one sentence naming the flag, before anything
// is dialled (the executor here does not even exist), as serve and executor treat their own.
func TestClientFilesAreInputs(t *testing.T) {
	dir := t.TempDir()
	py := filepath.Join(dir, "hello.py")
	open := filepath.Join(dir, "open-token")
	notPEM := filepath.Join(dir, "not-a-ca")
	for _, f := range []struct {
		name string
		mode os.FileMode
	}{{py, 0o644}, {open, 0o644}, {notPEM, 0o600}} {
		if err := os.WriteFile(f.name, []byte("print('hi')-long-enough-to-be-a-token\n"), f.mode); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--token-file", filepath.Join(dir, "missing")}, "--token-file: token file " + filepath.Join(dir, "missing") + " does not exist"},
		{[]string{"--token-file", open}, "--token-file: token file " + open + " can be read by other users"},
		{[]string{"--tls-ca", filepath.Join(dir, "missing")}, "--tls-ca: TLS CA: open " + filepath.Join(dir, "missing")},
		{[]string{"--tls-ca", notPEM}, "--tls-ca: TLS CA " + notPEM + " holds no PEM certificate"},
	} {
		args := append([]string{"run", "--executor", "tcp://127.0.0.1:1"}, tc.args...)
		_, stderr, code := sandrunCLI(t, "", append(args, py)...)
		if code != 2 || !strings.HasPrefix(stderr, "sandrun run: "+tc.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("sandrun %v: exit %d, stderr %q; want exit 2 and one line starting %q", args, code, stderr, "sandrun run: "+tc.want)
		}
	}
}
