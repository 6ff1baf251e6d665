package main

import (
	"bufio"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sandrun/sandrun/executor"
)

func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestExecutorBadFlags(t *testing.T) {
	dir := t.TempDir()
	tok := writeFile(t, dir, "tok", "s3cret-token-for-tests\n")
	empty := writeFile(t, dir, "empty", " \n")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"open address without a token", []string{"--listen", "0.0.0.0:0"}, "is not loopback, so a token is required"},
		{"empty token file", []string{"--token-file", empty}, "is empty"},
		{"missing token file", []string{"--token-file", filepath.Join(dir, "nope")}, "does not exist"},
		{"cert without key", []string{"--token-file", tok, "--tls-cert", tok}, "needs both --tls-cert and --tls-key"},
		{"bad certificate", []string{"--token-file", tok, "--tls-cert", tok, "--tls-key", tok}, "TLS certificate"},
		{"argument", []string{"extra"}, `unexpected argument "extra"`},
		{"negative slots", []string{"--slots", "-1"}, "must not be negative"},
		{"bad size", []string{"--max-message", "huge"}, "--max-message"},
		{"grace", []string{"--grace", "soon"}, "--grace soon is not a duration"},
		{"output budget", []string{"--output-budget", "huge"}, "--output-budget"},
		{"languages that match nothing", []string{"--nats", "nats://127.0.0.1:1", "--languages", "klingon"}, "matches no runtime installed here"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := sandrunCLI(t, "", append([]string{"executor"}, tt.args...)...)
			if code != 2 || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want exit 2 and %q", code, stderr, tt.want)
			}
		})
	}
}

// startExecutor runs `sandrun executor args…` and returns its tcp:// address and process.
func startExecutor(t *testing.T, args ...string) (string, *exec.Cmd) {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"executor", "--listen", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(os.Environ(), "SANDRUN_CLI_TEST=1")
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	var log strings.Builder
	lines := bufio.NewScanner(errPipe)
	addrRE := regexp.MustCompile(`listening on (tcp://\S+)`)
	for lines.Scan() {
		log.WriteString(lines.Text() + "\n")
		if m := addrRE.FindStringSubmatch(lines.Text()); m != nil {
			go io.Copy(io.Discard, errPipe) // keep the pipe drained; the executor logs to it
			return m[1], cmd
		}
	}
	t.Fatalf("sandrun executor did not start: %s", log.String())
	return "", nil
}

func TestExecutorServesAndStops(t *testing.T) {
	dir := t.TempDir()
	tok := writeFile(t, dir, "tok", "s3cret-token-for-tests\n")
	wrong := writeFile(t, dir, "wrong", "guess-guess-guess-guess\n")
	addr, cmd := startExecutor(t, "--token-file", tok, "--slots", "2", "--queue", "5")

	out, stderr, code := sandrunCLI(t, "", "languages", "--json", "--executor", addr, "--token-file", tok)
	var langs []executor.LanguageInfo
	if code != 0 || json.Unmarshal([]byte(out), &langs) != nil || len(langs) == 0 {
		t.Fatalf("languages over tcp: exit %d, stdout %q, stderr %q", code, out, stderr)
	}
	_, stderr, code = sandrunCLI(t, "", "languages", "--executor", addr, "--token-file", wrong)
	if code != 1 || !strings.Contains(stderr, "refused the token: wrong token") {
		t.Errorf("wrong token: exit %d, stderr %q", code, stderr)
	}
	_, stderr, code = sandrunCLI(t, "", "languages", "--token-file", tok)
	if code != 2 || !strings.Contains(stderr, "apply only to --executor tcp://") {
		t.Errorf("token file without --executor: exit %d, stderr %q", code, stderr)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := waitExit(t, cmd, 30*time.Second, "sandrun executor after SIGTERM with no runs in flight"); err != nil {
		t.Errorf("sandrun executor after SIGTERM: %v, want exit 0", err)
	}
}

// TestOneLoopbackRule: serve and executor refuse alike to listen beyond loopback without a token.
func TestOneLoopbackRule(t *testing.T) {
	for _, args := range [][]string{
		{"executor", "--listen", "0.0.0.0:0"},
		{"serve", "--addr", "0.0.0.0:0"},
	} {
		_, stderr, code := sandrunCLI(t, "", args...)
		if code != 2 || !strings.Contains(stderr, "is not loopback, so a token is required") {
			t.Errorf("sandrun %s: exit %d, stderr %q; want exit 2 and the loopback rule", strings.Join(args, " "), code, stderr)
		}
	}
}

// TestListenAddressForm: an address that is not HOST:PORT exits 2 with the command's own default
// as the form to use (serve's is not the executor's).
func TestListenAddressForm(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"executor", "--listen", "nonsense"}, "want HOST:PORT such as 127.0.0.1:7070"},
		{[]string{"serve", "--addr", "nonsense"}, "want HOST:PORT such as 127.0.0.1:8080"},
	} {
		_, stderr, code := sandrunCLI(t, "", tt.args...)
		if code != 2 || !strings.Contains(stderr, tt.want) {
			t.Errorf("sandrun %s: exit %d, stderr %q; want exit 2 and %q", strings.Join(tt.args, " "), code, stderr, tt.want)
		}
	}
}
