package main

import (
	"strings"
	"testing"
)

// TestHelpCommand: "sandrun help" and "sandrun --help" list the commands on stdout (like every
// command's --help, so that "| less" works), "sandrun help run" is "sandrun run --help", and
// sandrun alone is a mistake: the list on stderr, exit 2.
func TestHelpCommand(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"--help"}, {"-h"}} {
		if stdout, _, code := sandrunCLI(t, "", args...); code != 0 || !strings.Contains(stdout, "commands:") {
			t.Errorf("sandrun %v: exit %d, stdout %q; want the commands on stdout, exit 0", args, code, stdout)
		}
	}
	stdout, _, code := sandrunCLI(t, "", "help", "run")
	if code != 0 || !strings.Contains(stdout, "usage: sandrun run") || !strings.Contains(stdout, "-time-limit") {
		t.Errorf("sandrun help run: exit %d, stdout %q; want run's usage and flags", code, stdout)
	}
	if stdout, stderr, code := sandrunCLI(t, ""); code != 2 || stdout != "" || !strings.Contains(stderr, "commands:") {
		t.Errorf("sandrun alone: exit %d, stdout %q, stderr %q; want the commands on stderr, exit 2", code, stdout, stderr)
	}
}

// TestVersionArgs: version prints one line; a flag or an argument it does not take is a mistake
// (exit 2, one sentence), not silently ignored.
func TestVersionArgs(t *testing.T) {
	if stdout, _, code := sandrunCLI(t, "", "version"); code != 0 || !strings.HasPrefix(stdout, "sandrun ") || strings.Count(stdout, "\n") != 1 {
		t.Errorf("sandrun version: exit %d, stdout %q", code, stdout)
	}
	for _, args := range [][]string{{"version", "--json"}, {"version", "extra"}} {
		if stdout, stderr, code := sandrunCLI(t, "", args...); code != 2 || stdout != "" || strings.Count(stderr, "\n") != 1 {
			t.Errorf("sandrun %v: exit %d, stdout %q, stderr %q; want exit 2 and one line on stderr", args, code, stdout, stderr)
		}
	}
}
