package sandbox

// Host is what this machine offers the sandbox, as `sandrun doctor` reports it. Probing does what
// starting a sandbox does and no more: namespaces are tried in a throw-away child, and the
// sandbox's cgroup parents are made (and crashed runs' leftovers removed) as at any start.
type Host struct {
	OS       string `json:"os"`
	Arch     string `json:"arch"`
	Kernel   string `json:"kernel"`
	UID      int    `json:"uid"`
	Rootless bool   `json:"rootless"` // not root: unprivileged user namespaces, uid mapped to the caller

	Namespaces []Feature `json:"namespaces"` // user, mount, pid, net, ipc, uts, cgroup
	Cgroup     Cgroups   `json:"cgroup"`
	Seccomp    Feature   `json:"seccomp"`
	// Start is how commands start: OK when by fork+exec from the sandbox's init (the fast
	// path), not OK when each re-executes sandrun as a stage-2 (Detail says why).
	Start Feature `json:"start"`
	// Init is what a sandbox's init executes: OK when the small embedded init (a memory file),
	// not OK when this binary again (Detail says why).
	Init   Feature `json:"init"`
	Limits []Limit `json:"limits"`
	// Problems are sentences saying what keeps the sandbox from working fully here.
	Problems []string `json:"problems"`
}

// Feature is one capability: whether it works here, and details or why not.
type Feature struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail,omitempty"`
}

// Cgroups describes the host's cgroup setup.
type Cgroups struct {
	// Version is "v2" (unified), "v1", "hybrid" (v1 controllers plus a cgroup2 mount) or
	// "none".
	Version string `json:"version"`
	Unified string `json:"unified,omitempty"` // the cgroup2 mount point, if any
	// InUse is what the sandbox uses: "v1: memory, pids, cpuacct under …", or "none (rlimits
	// only): why".
	InUse       string       `json:"in_use"`
	Controllers []Controller `json:"controllers"` // memory, pids, cpu, cpuacct (v1) / memory, pids, cpu (v2)
}

// Controller is one cgroup controller the sandbox uses.
type Controller struct {
	Name     string `json:"name"`
	Version  string `json:"version"`        // "v1" or "v2"
	Path     string `json:"path,omitempty"` // this process's cgroup dir for it
	Writable bool   `json:"writable"`       // a sandbox could make child cgroups here
	Detail   string `json:"detail,omitempty"`
}

// Limit says whether one kind of limit is enforced here, and by what.
type Limit struct {
	Name     string `json:"name"`
	Enforced bool   `json:"enforced"`
	By       string `json:"by"` // e.g. "cgroup v1 memory", or why it is not enforced
}
