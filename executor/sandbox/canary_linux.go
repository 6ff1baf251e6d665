//go:build linux

package sandbox

import "os"

// hostNamespace is the host's namespace id for ns ("pid:[4026531836]"), "" if unknown.
func hostNamespace(ns string) string {
	s, _ := os.Readlink("/proc/self/ns/" + ns)
	return s
}
