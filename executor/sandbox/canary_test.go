package sandbox

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCanaryProblems(t *testing.T) {
	good := "uid=1001\nprocs=3\niface=lo\n" +
		"hostname=sandrun\nstatus.Seccomp=2\nstatus.NoNewPrivs=1\nstatus.CapEff=0000000000000000\n" +
		"ns.pid=pid:[1]\nns.net=net:[2]\nns.mnt=mnt:[3]\nns.ipc=ipc:[4]\nns.uts=uts:[5]\nns.cgroup=cgroup:[6]\nns.user=user:[7]\n"
	tests := []struct {
		name     string
		out      string
		rootless bool
		want     []string
	}{
		{"isolated", good, false, nil},
		{"leaky", "uid=0\nprocs=120\niface=lo\niface=eth0\nhostname=h\nstatus.Seccomp=0\nstatus.NoNewPrivs=0\nstatus.CapEff=000001ffffffffff\n" +
			"ns.pid=" + probeHostNamespace("pid") + "\nns.net=net:[2]\nns.mnt=mnt:[3]\nns.ipc=ipc:[4]\nns.uts=uts:[5]\nns.user=" + probeHostNamespace("user") + "\n", true,
			[]string{
				"the pid namespace is the host's",
				"the user namespace is the host's",
				"120 processes are visible in /proc (want a handful: its own)",
				"network interfaces [lo eth0] are visible (want only lo)",
				`the program has capabilities (CapEff "000001ffffffffff")`,
				"no_new_privs is not set",
				"no seccomp filter is installed",
				"the program runs as uid 0",
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c Canary
			if err := c.parse(tt.out); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, c.Problems(tt.rootless)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
	var c Canary
	if err := c.parse("uid=1\n"); err == nil {
		t.Error("parse accepted output without procs, hostname, status and ns lines")
	}
}
