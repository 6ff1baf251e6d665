package sandbox

// Unenforced lists, as sentences, the limits this host cannot enforce the usual way (no usable
// cgroup, rootless mode), and what holds instead. Empty when every limit is enforced by a cgroup
// and each sandbox has its own uid. It is cheap (cgroup detection is done once per process), so
// a front end may print it once when it starts runs; `sandrun doctor` reports the full picture.
func Unenforced() []string { return unenforced() }

// MemoryByRlimit reports whether memory limits here are only RLIMIT_DATA (rootless, or no
// usable memory cgroup): then a program over its limit sees its allocations fail instead of
// being OOM-killed, and Outcome.MemoryLimit is never set.
func MemoryByRlimit() bool { return memoryByRlimit() }
