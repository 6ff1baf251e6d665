package sandbox

import "os"

// FileInfo describes a regular file under /work, as ListFiles found it.
type FileInfo struct {
	Path string      `json:"path"` // relative to /work
	Mode os.FileMode `json:"mode"` // permission bits only
	Size int64       `json:"size"`
}
