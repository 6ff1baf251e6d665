//go:build linux

package sandbox

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Credential files below the top of a bound dir (a global npm package's .npmrc, ~/.m2's
// settings.xml in a bound home, ~/.config/pip/pip.conf) are found by a walk on the host and
// masked by the init like those at the top (maskCredentials). The walk is bounded (credScanDepth
// levels, credScanEntries entries per dir bound; /usr/local takes ~40 ms warm here) and never
// follows a link. Its answer is kept, in memory and on disk (credCacheFile), while the dir's own
// mtime stays the same: refreshed in the background once older than credScanTTL, walked again
// before the start once older than twice that. So a sandbox start waits for a walk only the
// first time a dir is seen, or after it changed at its top, or after an idle while.
const (
	credScanDepth   = 6     // /usr/local/lib/node_modules/@scope/pkg/.npmrc is 5 deep
	credScanEntries = 20000 // per bound dir; the walk is breadth-first, so the cap cuts the deepest levels first
	credScanTTL     = 30 * time.Minute
	// credMaskBytes bounds the paths sent to the init (its control messages are at most maxMsg):
	// some 600 credential files at ~100 bytes a path. A toolchain with more masks only these.
	credMaskBytes = 64 << 10
)

// credentialRoots are walked beyond the binds: the parts of /usr where credentials get kept.
var credentialRoots = []string{"/usr/local", "/usr/etc"}

// nestedFiles are regular files that hold tokens, passwords or keys wherever they are found.
var nestedFiles = map[string]bool{
	"credentials": true, "credentials.toml": true, "credentials.json": true, // cargo, aws, gcloud
	"application_default_credentials.json": true, "credentials.tfrc.json": true, "credentials.db": true,
	".npmrc": true, "npmrc": true, ".yarnrc": true, ".yarnrc.yml": true, // npm and yarn auth tokens
	".gitconfig": true, "gitconfig": true, ".git-credentials": true, ".netrc": true, "_netrc": true,
	".pypirc": true, "pip.conf": true, "pip.ini": true, ".pgpass": true, ".my.cnf": true,
	".dockercfg": true, ".vault-token": true, ".s3cfg": true, ".boto": true,
	"id_rsa": true, "id_dsa": true, "id_ecdsa": true, "id_ed25519": true, "id_ecdsa_sk": true, "id_ed25519_sk": true,
}

// nestedDirs are dirs that hold nothing but credentials, masked whole wherever they are found.
var nestedDirs = map[string]bool{
	".ssh": true, ".gnupg": true, ".aws": true, ".azure": true, ".kube": true, ".docker": true,
}

// nestedInDir are files that hold credentials only in a dir of a given name (a settings.xml or
// a config elsewhere is a toolchain's own).
var nestedInDir = map[string]map[string]bool{
	".m2":     {"settings.xml": true, "settings-security.xml": true}, // Maven server passwords
	".gradle": {"gradle.properties": true, "init.gradle": true},      // Gradle publishing keys
	".kube":   {"config": true},
	".docker": {"config.json": true},
	"gh":      {"hosts.yml": true}, // ~/.config/gh
	".config": {"hub": true},       // hub's tokens
	".cargo":  {"credentials": true, "credentials.toml": true},
	"gcloud":  {"credentials.db": true, "access_tokens.db": true, "legacy_credentials": true},
}

// isCredential says whether the entry name, a dir or not, in a dir named parent holds credentials.
func isCredential(parent, name string, dir bool) bool {
	if dir {
		return nestedDirs[name] || (parent == "gcloud" && name == "legacy_credentials")
	}
	return nestedFiles[name] || nestedInDir[parent][name]
}

// credScan is one walk's answer for a bound dir.
type credScan struct {
	Mtime int64     `json:"mtime"` // of the dir itself when walked, in ns
	At    time.Time `json:"at"`    // when walked
	Found []string  `json:"found"` // relative to the dir
}

var credCache = struct {
	sync.Mutex
	m          map[string]credScan
	refreshing map[string]bool
}{m: map[string]credScan{}, refreshing: map[string]bool{}}

// credCacheFile keeps the walks' answers for the next process ("" keeps them in memory only;
// tests set it): credscan.json, 0600 in a 0700 dir of the user's cache dir.
var credCacheFile = func() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "sandrun", "credscan.json")
}()

// credentialMasks lists the paths inside the sandbox to mask below the top of binds (resolved
// host paths) and of credentialRoots.
func credentialMasks(binds []Bind) []string {
	var out []string
	size := 0
	add := func(src, dst string) {
		for _, rel := range scanCached(src, filepath.Base(dst)) {
			p := filepath.Join(dst, rel)
			if slices.Contains(credentialDirs, filepath.Dir(p)) && slices.Contains(credentialNames, filepath.Base(p)) {
				continue // masked at the top of a credentialDirs entry by maskCredentials
			}
			q, _ := json.Marshal(p) // as the setup message will carry it
			if size += len(q) + 1; size > credMaskBytes {
				return
			}
			out = append(out, p)
		}
	}
	for _, r := range credentialRoots {
		if fi, err := os.Lstat(r); err == nil && fi.IsDir() { // a link there is a link inside too
			add(r, r)
		}
	}
	for _, b := range binds {
		add(b.Source, b.Target)
	}
	return out
}

// scanCached is scanCredentials(dir, name), walked again only when dir's mtime changed (at once)
// or the answer is older than credScanTTL (in the background; the old answer serves meanwhile).
// A new process (a one-shot `sandrun run`) starts from the answers kept on disk.
func scanCached(dir, name string) []string {
	fi, err := os.Stat(dir)
	if err != nil || !fi.IsDir() {
		return nil
	}
	key := dir + "\x00" + name
	mtime := fi.ModTime().UnixNano()
	credCache.Lock()
	c, ok := credCache.m[key]
	if !ok {
		c, ok = readCredCache()[key]
	}
	if ok && c.Mtime == mtime && time.Since(c.At) < 2*credScanTTL && c.At.Before(time.Now().Add(time.Minute)) {
		credCache.m[key] = c
		if time.Since(c.At) > credScanTTL && !credCache.refreshing[key] {
			credCache.refreshing[key] = true
			go func() {
				scanStore(key, dir, name, mtime)
				credCache.Lock()
				delete(credCache.refreshing, key)
				credCache.Unlock()
			}()
		}
		credCache.Unlock()
		return c.Found
	}
	credCache.Unlock()
	return scanStore(key, dir, name, mtime)
}

// scanStore walks dir and keeps the answer, in memory and on disk.
func scanStore(key, dir, name string, mtime int64) []string {
	found := scanCredentials(dir, name, credScanDepth, credScanEntries)
	c := credScan{Mtime: mtime, At: time.Now(), Found: found}
	credCache.Lock()
	defer credCache.Unlock()
	credCache.m[key] = c
	if credCacheFile != "" {
		kept := readCredCache()
		for k, e := range kept {
			if time.Since(e.At) >= 2*credScanTTL {
				delete(kept, k)
			}
		}
		kept[key] = c
		writeCredCache(kept)
	}
	return found
}

// readCredCache reads the answers kept on disk; a missing, unreadable or foreign file is empty.
func readCredCache() map[string]credScan {
	kept := map[string]credScan{}
	if credCacheFile == "" {
		return kept
	}
	f, err := os.Open(credCacheFile)
	if err != nil {
		return kept
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return kept
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o022 != 0 || fi.Size() > 1<<20 || int(st.Uid) != os.Geteuid() {
		return kept
	}
	if json.NewDecoder(f).Decode(&kept) != nil {
		return map[string]credScan{}
	}
	return kept
}

// writeCredCache replaces the file with kept (a temporary file renamed into place). Failures
// are ignored: the file only saves a new process the walk.
func writeCredCache(kept map[string]credScan) {
	dir := filepath.Dir(credCacheFile)
	if os.MkdirAll(dir, 0o700) != nil {
		return
	}
	b, err := json.Marshal(kept)
	if err != nil {
		return
	}
	tmp, err := os.CreateTemp(dir, ".credscan-")
	if err != nil {
		return
	}
	_, werr := tmp.Write(b)
	cerr := tmp.Close()
	if werr != nil || cerr != nil || os.Rename(tmp.Name(), credCacheFile) != nil {
		os.Remove(tmp.Name())
	}
}

// scanCredentials walks dir (named name inside the sandbox) breadth-first, at most depth levels and entries entries, and returns
// the credential files and dirs it found, relative to dir. It opens every dir with O_NOFOLLOW and
// descends only into real dirs, never through a link, nor into a dir it found to be a credential.
func scanCredentials(dir, name string, depth, entries int) []string {
	type node struct {
		rel   string
		level int
	}
	var found []string
	queue := []node{{"", 1}}
	seen := 0
	for len(queue) > 0 && seen < entries {
		n := queue[0]
		queue = queue[1:]
		f, err := os.OpenFile(filepath.Join(dir, n.rel), os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_DIRECTORY, 0)
		if err != nil {
			continue
		}
		list, _ := f.ReadDir(entries - seen)
		f.Close()
		seen += len(list)
		parent := name
		if n.rel != "" {
			parent = filepath.Base(n.rel)
		}
		for _, e := range list {
			if n.rel == "" && slices.Contains(credentialNames, e.Name()) {
				continue // masked whole at the top by maskCredentials, which looks at every start
			}
			t := e.Type()
			rel := filepath.Join(n.rel, e.Name())
			switch {
			case t.IsDir() && isCredential(parent, e.Name(), true):
				found = append(found, rel)
			case t.IsDir() && n.level < depth:
				queue = append(queue, node{rel, n.level + 1})
			case t.IsRegular() && isCredential(parent, e.Name(), false):
				found = append(found, rel)
			}
		}
	}
	return found
}

// maskNested masks each of paths (inside the sandbox, from credentialMasks) in the new root as
// maskCredentials masks those at the top; a path gone since the walk, or no longer a file or a
// dir, is left alone.
func maskNested(paths []string) error {
	for _, p := range paths {
		if err := maskPath(newRoot + p); err != nil {
			return fmt.Errorf("mask %s: %w", p, err)
		}
	}
	return nil
}

// maskPath hides what is at p, if anything: a dir under an empty read-only tmpfs, a regular file
// under /dev/null; a link or anything else is left alone.
func maskPath(p string) error {
	fi, err := os.Lstat(p)
	if err != nil {
		return nil
	}
	switch {
	case fi.IsDir():
		return unix.Mount("tmpfs", p, "tmpfs", unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "size=0,nr_inodes=1,mode=0555")
	case fi.Mode().IsRegular():
		if err := unix.Mount(oldRoot+"/dev/null", p, "", unix.MS_BIND, ""); err != nil {
			return err
		}
		return setattr(p, unix.MOUNT_ATTR_RDONLY|unix.MOUNT_ATTR_NOSUID|unix.MOUNT_ATTR_NOEXEC, false)
	}
	return nil
}
