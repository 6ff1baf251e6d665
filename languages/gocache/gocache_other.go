//go:build !unix

package gocache

import "os"

// ownedBySelf: there is no sandbox (hence no Go cache overlay) off Unix.
func ownedBySelf(os.FileInfo) bool { return false }
