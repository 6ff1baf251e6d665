//go:build unix

package gocache

import (
	"os"
	"syscall"
)

// ownedBySelf reports whether fi's file belongs to this process's user.
func ownedBySelf(fi os.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Geteuid()
}
