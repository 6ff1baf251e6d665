package sandbox

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Canary is what a harmless program saw from inside a fresh sandbox. RunCanary fills it;
// Problems says which isolation properties failed. The hostile-program tests refuse to run
// anything dangerous unless it has no problems; `sandrun doctor` shows it.
type Canary struct {
	UID        int               `json:"uid"`
	Processes  int               `json:"processes"`  // entries in the sandbox's /proc
	Interfaces []string          `json:"interfaces"` // network interfaces inside
	Hostname   string            `json:"hostname"`
	Status     map[string]string `json:"status"`     // Seccomp, NoNewPrivs, CapEff… from /proc/self/status
	Namespaces map[string]bool   `json:"namespaces"` // "pid": true when it differs from the host's
	Elapsed    time.Duration     `json:"elapsed_ns"` // New + Run + Close
}

// canaryScript prints key=value lines; it needs only /bin/sh and /proc.
const canaryScript = `echo "uid=$(id -u)"
n=0; for d in /proc/[0-9]*; do n=$((n+1)); done; echo "procs=$n"
while read -r l; do case "$l" in *:*) echo "iface=${l%%:*}";; esac; done < /proc/net/dev
echo "hostname=$(cat /proc/sys/kernel/hostname)"
while read -r k v; do case "$k" in Seccomp:|NoNewPrivs:|CapEff:|CapPrm:|CapBnd:) echo "status.${k%:}=$v";; esac; done < /proc/self/status
for ns in pid net mnt ipc uts cgroup user; do echo "ns.$ns=$(readlink /proc/self/ns/$ns)"; done
`

// RunCanary starts a sandbox, runs a harmless shell script in it and reports what it saw.
// A non-nil error means the sandbox itself failed.
func RunCanary(ctx context.Context) (Canary, error) {
	start := time.Now()
	var c Canary
	sb, err := New(ctx, Config{})
	if err != nil {
		return c, fmt.Errorf("canary: start sandbox: %w", err)
	}
	defer sb.Close()
	var out, errb strings.Builder
	o, err := sb.Run(ctx, Cmd{
		Args:   []string{"/bin/sh", "-c", canaryScript},
		Env:    []string{"PATH=/usr/local/bin:/usr/bin:/bin"},
		Stdout: &out, Stderr: &errb,
		Limits: Limits{CPUTime: 10 * time.Second, WallTime: 30 * time.Second, Memory: 64 << 20, // generous: a loaded or emulated host is slow
			Processes: 32, Output: 64 << 10, FileSize: 1 << 20},
	})
	if err != nil {
		return c, fmt.Errorf("canary: run: %w", err)
	}
	if o.ExitCode != 0 {
		return c, fmt.Errorf("canary: the script ended with exit code %d, signal %v: %s", o.ExitCode, o.Signal, strings.TrimSpace(errb.String()))
	}
	if err := sb.Close(); err != nil {
		return c, fmt.Errorf("canary: close: %w", err)
	}
	c.Elapsed = time.Since(start)
	return c, c.parse(out.String())
}

func (c *Canary) parse(out string) error {
	c.Status, c.Namespaces = map[string]string{}, map[string]bool{}
	seen := map[string]bool{}
	for _, line := range strings.Split(out, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		if !ok {
			continue
		}
		seen[strings.SplitN(k, ".", 2)[0]] = true
		switch {
		case k == "uid":
			fmt.Sscan(v, &c.UID)
		case k == "procs":
			fmt.Sscan(v, &c.Processes)
		case k == "iface":
			c.Interfaces = append(c.Interfaces, strings.TrimSpace(v))
		case k == "hostname":
			c.Hostname = v
		case strings.HasPrefix(k, "status."):
			c.Status[strings.TrimPrefix(k, "status.")] = v
		case strings.HasPrefix(k, "ns."):
			ns := strings.TrimPrefix(k, "ns.")
			c.Namespaces[ns] = v != "" && v != probeHostNamespace(ns)
		}
	}
	for _, k := range []string{"uid", "procs", "hostname", "status", "ns"} {
		if !seen[k] {
			return fmt.Errorf("canary: the script printed no %s line: %q", k, out)
		}
	}
	return nil
}

// Problems lists, as sentences, each isolation property the canary did not see. rootless
// says whether the user namespace must differ too (it is the host's in root mode).
func (c Canary) Problems(rootless bool) []string {
	var p []string
	for _, ns := range []string{"pid", "net", "mnt", "ipc", "uts"} {
		if !c.Namespaces[ns] {
			p = append(p, fmt.Sprintf("the %s namespace is the host's", ns))
		}
	}
	if rootless && !c.Namespaces["user"] {
		p = append(p, "the user namespace is the host's")
	}
	if c.Processes == 0 || c.Processes > 8 {
		p = append(p, fmt.Sprintf("%d processes are visible in /proc (want a handful: its own)", c.Processes))
	}
	if len(c.Interfaces) != 1 || c.Interfaces[0] != "lo" {
		p = append(p, fmt.Sprintf("network interfaces %v are visible (want only lo)", c.Interfaces))
	}
	if v := c.Status["CapEff"]; strings.Trim(v, "0") != "" || v == "" {
		p = append(p, fmt.Sprintf("the program has capabilities (CapEff %q)", v))
	}
	if c.Status["NoNewPrivs"] != "1" {
		p = append(p, "no_new_privs is not set")
	}
	if c.Status["Seccomp"] != "2" {
		p = append(p, "no seccomp filter is installed")
	}
	if c.UID == 0 {
		p = append(p, "the program runs as uid 0")
	}
	return p
}
