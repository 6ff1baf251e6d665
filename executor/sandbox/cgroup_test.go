//go:build linux

package sandbox

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseCgroupSetups(t *testing.T) {
	tests := []struct {
		name       string
		mountinfo  string
		procCgroup string
		wantV1     map[string]cgMount
		wantV2     string
		wantOwn    *ownCg
	}{
		{
			name: "hybrid (this kind of host)",
			mountinfo: `30 25 0:26 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
31 30 0:27 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
32 30 0:28 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
33 30 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
34 30 0:30 / /sys/fs/cgroup/unified rw,relatime shared:5 - cgroup2 cgroup2 rw
`,
			procCgroup: "4:memory:/process_api/abc\n3:pids:/\n2:cpu,cpuacct:/user.slice\n0::/\n",
			wantV1: map[string]cgMount{
				"rw": {"/sys/fs/cgroup/memory", "/"}, "memory": {"/sys/fs/cgroup/memory", "/"},
				"pids": {"/sys/fs/cgroup/pids", "/"}, "cpu": {"/sys/fs/cgroup/cpu,cpuacct", "/"},
				"cpuacct": {"/sys/fs/cgroup/cpu,cpuacct", "/"},
			},
			wantV2:  "/sys/fs/cgroup/unified",
			wantOwn: &ownCg{v1: map[string]string{"memory": "/process_api/abc", "pids": "/", "cpu": "/user.slice", "cpuacct": "/user.slice"}, v2: "/"},
		},
		{
			name:       "pure v2, a delegated user service",
			mountinfo:  "35 24 0:30 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n",
			procCgroup: "0::/user.slice/user-1000.slice/user@1000.service/app.slice/run-1.scope\n",
			wantV1:     map[string]cgMount{},
			wantV2:     "/sys/fs/cgroup",
			wantOwn:    &ownCg{v1: map[string]string{}, v2: "/user.slice/user-1000.slice/user@1000.service/app.slice/run-1.scope"},
		},
		{
			name:       "a container's view, with an escaped space in a mount point",
			mountinfo:  "40 39 0:31 /docker/abc /sys/fs/cgroup/my\\040dir ro,nosuid - cgroup cgroup rw,memory\n",
			procCgroup: "5:memory:/docker/abc\n",
			wantV1:     map[string]cgMount{"rw": {"/sys/fs/cgroup/my dir", "/docker/abc"}, "memory": {"/sys/fs/cgroup/my dir", "/docker/abc"}},
			wantOwn:    &ownCg{v1: map[string]string{"memory": "/docker/abc"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms, err := parseMountinfo(strings.NewReader(tt.mountinfo))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantV1, ms.v1, cmp.AllowUnexported(cgMount{})); diff != "" {
				t.Errorf("v1 mounts (-want +got):\n%s", diff)
			}
			if ms.v2 != tt.wantV2 {
				t.Errorf("v2 mount = %q, want %q", ms.v2, tt.wantV2)
			}
			if diff := cmp.Diff(tt.wantOwn, parseProcCgroup(tt.procCgroup), cmp.AllowUnexported(ownCg{})); diff != "" {
				t.Errorf("own cgroups (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLeftoverNames(t *testing.T) {
	for name, want := range map[string]bool{
		"999999999-1-1":            true,  // no such pid
		"1-18446744073709551615-1": true,  // pid 1 exists, but not with that start time
		"sandrun-host":             false, // not a command cgroup
		"12-abc-3":                 false,
		"some-other-dir":           false,
	} {
		if got := leftover(name); got != want {
			t.Errorf("leftover(%q) = %v, want %v", name, got, want)
		}
	}
}
