package compilecache

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

// An entry file is: magic, HMAC-SHA256(secret, key ‖ body), then the body: the Entry as one
// JSON line (file data left out) followed by every file's data in order.
const (
	magic      = "sandrun-compile-cache-1\n"
	secretName = "secret"
	entryExt   = ".entry"
	tmpPrefix  = ".tmp-"
)

// openDir makes or checks the directory and reads (or makes) the secret.
func (c *Cache) openDir() error {
	dir, err := filepath.Abs(c.dir)
	if err != nil {
		return fmt.Errorf("compile cache dir %q: %w", c.dir, err)
	}
	c.dir = dir
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("compile cache dir: %w", err)
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("compile cache dir: %w", err)
	}
	st, _ := fi.Sys().(*syscall.Stat_t)
	switch {
	case !fi.IsDir():
		return fmt.Errorf("compile cache dir %s: not a directory (a symbolic link is not accepted)", dir)
	case st != nil && int(st.Uid) != os.Geteuid():
		return fmt.Errorf("compile cache dir %s: belongs to uid %d, not to this user; choose another with --compile-cache-dir", dir, st.Uid)
	case fi.Mode().Perm()&0o022 != 0:
		return fmt.Errorf("compile cache dir %s: others may write in it (mode %v); run \"chmod 700 %s\"", dir, fi.Mode().Perm(), dir)
	}
	secret := filepath.Join(dir, secretName)
	if b, err := readRegular(secret, 64); err == nil && len(b) == 32 {
		c.key = b
		return nil
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return fmt.Errorf("compile cache: %w", err)
	}
	if err := writeAtomic(dir, secretName, b); err != nil {
		return fmt.Errorf("compile cache: write the secret: %w", err)
	}
	c.key = b
	return nil
}

func (c *Cache) path(key Key) string { return filepath.Join(c.dir, key.String()+entryExt) }

func (c *Cache) mac(key Key, body []byte) []byte {
	m := hmac.New(sha256.New, c.key)
	m.Write(key[:])
	m.Write(body)
	return m.Sum(nil)
}

func (c *Cache) getDisk(key Key) (Entry, bool) {
	p := c.path(key)
	b, err := readRegular(p, c.max)
	if err != nil {
		return Entry{}, false
	}
	e, err := c.decode(key, b)
	if err != nil {
		c.corrupt.Add(1)
		os.Remove(p)
		return Entry{}, false
	}
	now := time.Now()
	_ = os.Chtimes(p, now, now) // recency, for eviction
	return e, true
}

func (c *Cache) decode(key Key, b []byte) (Entry, error) {
	if !bytes.HasPrefix(b, []byte(magic)) || len(b) < len(magic)+sha256.Size {
		return Entry{}, errors.New("not an entry")
	}
	sum, body := b[len(magic):len(magic)+sha256.Size], b[len(magic)+sha256.Size:]
	if !hmac.Equal(sum, c.mac(key, body)) {
		return Entry{}, errors.New("does not verify")
	}
	nl := bytes.IndexByte(body, '\n')
	if nl < 0 {
		return Entry{}, errors.New("no header")
	}
	var e Entry
	var sizes struct {
		Sizes []int64 `json:"sizes"`
	}
	if err := json.Unmarshal(body[:nl], &e); err != nil {
		return Entry{}, err
	}
	if err := json.Unmarshal(body[:nl], &sizes); err != nil || len(sizes.Sizes) != len(e.Files) {
		return Entry{}, errors.New("bad sizes")
	}
	data := body[nl+1:]
	for i := range e.Files {
		n := sizes.Sizes[i]
		if n < 0 || n > int64(len(data)) {
			return Entry{}, errors.New("short data")
		}
		e.Files[i].Data, data = data[:n:n], data[n:]
	}
	if len(data) != 0 {
		return Entry{}, errors.New("trailing data")
	}
	return e, e.check()
}

func (c *Cache) putDisk(key Key, e Entry) error {
	sizes := make([]int64, len(e.Files))
	for i, f := range e.Files {
		sizes[i] = int64(len(f.Data))
	}
	head, err := json.Marshal(struct {
		Entry
		Sizes []int64 `json:"sizes"`
	}{e, sizes})
	if err != nil {
		return fmt.Errorf("compile cache: %w", err)
	}
	var body bytes.Buffer
	body.Write(head)
	body.WriteByte('\n')
	for _, f := range e.Files {
		body.Write(f.Data)
	}
	out := append([]byte(magic), c.mac(key, body.Bytes())...)
	out = append(out, body.Bytes()...)
	if err := writeAtomic(c.dir, key.String()+entryExt, out); err != nil {
		return fmt.Errorf("compile cache: %w", err)
	}
	c.evictDisk()
	return nil
}

type diskEntry struct {
	name string
	size int64
	used time.Time
}

// diskUsage lists the entries and their total size.
func (c *Cache) diskUsage() ([]diskEntry, int64) {
	des, err := os.ReadDir(c.dir)
	if err != nil {
		return nil, 0
	}
	var out []diskEntry
	var total int64
	for _, de := range des {
		fi, err := de.Info()
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		name := de.Name()
		if strings.HasPrefix(name, tmpPrefix) && time.Since(fi.ModTime()) > time.Hour {
			os.Remove(filepath.Join(c.dir, name)) // left by a writer that died
			continue
		}
		if !strings.HasSuffix(name, entryExt) {
			continue
		}
		out = append(out, diskEntry{name: name, size: fi.Size(), used: fi.ModTime()})
		total += fi.Size()
	}
	return out, total
}

// evictDisk removes the least recently used entries until the rest fit.
func (c *Cache) evictDisk() {
	c.mu.Lock() // one evictor per process; another process evicting too only removes more
	defer c.mu.Unlock()
	entries, total := c.diskUsage()
	if total <= c.max {
		return
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].used.Before(entries[j].used) })
	for _, e := range entries {
		if total <= c.max {
			break
		}
		if os.Remove(filepath.Join(c.dir, e.name)) == nil {
			c.evictions.Add(1)
		}
		total -= e.size
	}
}

// readRegular reads a regular file that is not a link, at most max bytes.
func readRegular(p string, max int64) ([]byte, error) {
	f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() || fi.Size() > max {
		return nil, fmt.Errorf("%s: not a regular file of at most %d bytes", p, max)
	}
	return io.ReadAll(io.LimitReader(f, max+1))
}

// writeAtomic writes name in dir through a temporary file renamed into place.
func writeAtomic(dir, name string, data []byte) error {
	f, err := os.CreateTemp(dir, tmpPrefix+"*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, name))
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}
