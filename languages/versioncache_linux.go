//go:build linux

package languages

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// A version command costs a process start on the host (python3 --version: ~15 ms; a JVM's:
// a second), and a new `sandrun run` process asks one every time. Its answers are kept on disk,
// under the user's cache dir (versions.json, 0600 in a 0700 dir of this user), keyed by the
// language, the version command, and the identity of the program it runs as the host has it now
// (the path with every link resolved, size, modification and change time, inode): reinstalling
// or upgrading the program changes the key. An answer is used for at most versionTTL, which
// bounds how long a toolchain changed behind an unchanged launcher (a rustup proxy, a shim) is
// reported with its old version. Only successful answers are kept.

// versionTTL is how long a kept answer is used.
const versionTTL = time.Hour

// versionCacheFile is where the answers are kept ("" disables keeping them). Tests set it.
var versionCacheFile = defaultVersionCacheFile()

var versionCacheMu sync.Mutex // one process's readers and writers of the file

func defaultVersionCacheFile() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "sandrun", "versions.json")
}

type versionEntry struct {
	Version string    `json:"version"`
	At      time.Time `json:"at"`
}

// cachedVersion is askVersion with the answers kept on disk.
func (l *Language) cachedVersion(ctx context.Context, timeout time.Duration) (string, error) {
	key := l.versionKey()
	if key == "" || versionCacheFile == "" {
		return l.askVersion(ctx, timeout)
	}
	versionCacheMu.Lock()
	e, ok := readVersionEntry(key)
	versionCacheMu.Unlock()
	if ok && time.Since(e.At) < versionTTL && e.At.Before(time.Now().Add(time.Minute)) {
		return e.Version, nil
	}
	v, err := l.askVersion(ctx, timeout)
	if err != nil || v == "" {
		return v, err
	}
	versionCacheMu.Lock()
	defer versionCacheMu.Unlock()
	entries := readVersionCache()
	for k, e := range entries {
		if time.Since(e.At) >= versionTTL {
			delete(entries, k)
		}
	}
	entries[key] = versionEntry{Version: v, At: time.Now()}
	writeVersionCache(entries)
	return v, nil
}

// versionKey names the language's version command and the program it runs, as the host has it
// now ("" when the program cannot be found).
func (l *Language) versionKey() string {
	prog, err := lookPath(l.Version[0], l.SearchPath())
	if err != nil {
		return ""
	}
	real, err := filepath.EvalSymlinks(prog)
	if err != nil {
		return ""
	}
	fi, err := os.Stat(real)
	if err != nil {
		return ""
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return ""
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00%s\x00%d\x00%d\x00%d.%d\x00%d\x00%d\x00%s", l.Key(),
		strings.Join(l.Version, "\x01"), l.SearchPath(), strings.Join(l.Env, "\x01"), real,
		fi.Size(), fi.ModTime().UnixNano(), st.Ctim.Sec, st.Ctim.Nsec, st.Ino, st.Dev, l.VersionRegex)
	return hex.EncodeToString(h.Sum(nil))
}

// readVersionCache reads the kept answers; a missing, unreadable or foreign file is empty.
func readVersionCache() map[string]versionEntry {
	entries := map[string]versionEntry{}
	if data := readVersionFile(); data == nil || json.Unmarshal(data, &entries) != nil {
		return map[string]versionEntry{}
	}
	return entries
}

// readVersionEntry reads the kept answer for key, if any. It decodes that entry only: a new
// process asks for one language, and decoding every entry (their times) cost more than the
// rest of loading the languages. The file is json.Marshal's compact text of a map keyed by hex
// digests, written whole (renamed into place), so `"<key>":` after "{" or "," starts the key's
// entry and nowhere else (a quote inside a string is escaped). A file that is not one JSON
// object of objects ({…}}) is empty.
func readVersionEntry(key string) (versionEntry, bool) {
	data := readVersionFile()
	if !bytes.HasPrefix(data, []byte("{")) || !bytes.HasSuffix(data, []byte("}}")) {
		return versionEntry{}, false
	}
	at := bytes.Index(data, []byte(`"`+key+`":`))
	if at < 1 || (data[at-1] != '{' && data[at-1] != ',') {
		return versionEntry{}, false
	}
	var e versionEntry
	if json.NewDecoder(bytes.NewReader(data[at+len(key)+3:])).Decode(&e) != nil {
		return versionEntry{}, false
	}
	return e, true
}

// readVersionFile returns the file of kept answers; nil when it is missing, unreadable or
// foreign.
func readVersionFile() []byte {
	f, err := os.Open(versionCacheFile)
	if err != nil {
		return nil
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o022 != 0 || fi.Size() > 1<<20 || !ownedBySelf(fi) {
		return nil
	}
	data := make([]byte, fi.Size())
	if _, err := io.ReadFull(f, data); err != nil {
		return nil
	}
	return data
}

// writeVersionCache replaces the file with entries (a temporary file renamed into place, so a
// reader never sees half of it). Failures are ignored: the cache only saves time.
func writeVersionCache(entries map[string]versionEntry) {
	dir := filepath.Dir(versionCacheFile)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return
	}
	b, err := json.Marshal(entries)
	if err != nil {
		return
	}
	tmp, err := os.CreateTemp(dir, ".versions-")
	if err != nil {
		return
	}
	_, werr := tmp.Write(b)
	cerr := tmp.Close()
	if werr != nil || cerr != nil || os.Rename(tmp.Name(), versionCacheFile) != nil {
		os.Remove(tmp.Name())
	}
}

// ownedBySelf reports whether fi's file belongs to this process's user.
func ownedBySelf(fi os.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Geteuid()
}
