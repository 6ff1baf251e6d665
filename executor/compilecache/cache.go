// Package compilecache keeps what successful compiles produced, so that a second run of an
// unchanged program skips its compiler. An entry is found by a Key: a hash of everything that
// decides the compiler's output (language, toolchain, command, environment, sources), built
// with a KeyBuilder. Entries live in memory or in a directory; either way the cache is bounded
// and drops the least recently used entries first.
//
// On disk, the cache never trusts a file it did not write: every entry carries an HMAC made
// with a secret kept (0600) in the cache directory, which must be the caller's own and closed to
// other users; a file that does not verify is removed and counts as a miss. Entries are written
// to a temporary file and renamed into place, so concurrent writers (two identical compiles, or
// two sandrun processes) never leave a torn entry.
//
// It is not for running compilers or for deciding what to cache (package executor does both).
package compilecache

import (
	"container/list"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"os"
	"path"
	"strings"
	"sync"
	"sync/atomic"
)

// DefaultMaxBytes bounds a cache whose Options give no size.
const DefaultMaxBytes = 256 << 20

// File is one file a compile produced, relative to the work dir.
type File struct {
	Path string      `json:"path"`
	Mode os.FileMode `json:"mode"` // permission bits
	Data []byte      `json:"-"`
}

// Entry is what is kept of one successful compile: its files and the compiler's messages
// (warnings are shown again on a hit).
type Entry struct {
	Files  []File `json:"files"`
	Stdout string `json:"stdout"`
	Stderr string `json:"stderr"`
}

func (e Entry) size() int64 {
	n := int64(len(e.Stdout) + len(e.Stderr))
	for _, f := range e.Files {
		n += int64(len(f.Data) + len(f.Path) + 16)
	}
	return n
}

// check refuses an entry whose paths could escape the work dir or whose modes are not plain
// permission bits.
func (e Entry) check() error {
	for _, f := range e.Files {
		if f.Path == "" || strings.HasPrefix(f.Path, "/") || path.Clean(f.Path) != f.Path ||
			f.Path == ".." || strings.HasPrefix(f.Path, "../") || strings.ContainsRune(f.Path, 0) {
			return fmt.Errorf("bad path %q", f.Path)
		}
		if f.Mode&^0o777 != 0 {
			return fmt.Errorf("%s: bad mode %v", f.Path, f.Mode)
		}
	}
	return nil
}

// Key names an entry: a SHA-256 of its inputs.
type Key [sha256.Size]byte

func (k Key) String() string { return hex.EncodeToString(k[:]) }

// KeyBuilder hashes a key's inputs; each is length-prefixed, so no two lists of inputs collide.
type KeyBuilder struct{ h hash.Hash }

// Add hashes one named input.
func (b *KeyBuilder) Add(name string, value []byte) {
	if b.h == nil {
		b.h = sha256.New()
		b.h.Write([]byte("sandrun compile cache v1\x00"))
	}
	var n [8]byte
	for _, p := range [][]byte{[]byte(name), value} {
		binary.LittleEndian.PutUint64(n[:], uint64(len(p)))
		b.h.Write(n[:])
		b.h.Write(p)
	}
}

// AddString hashes one named string input.
func (b *KeyBuilder) AddString(name, value string) { b.Add(name, []byte(value)) }

// Sum returns the key.
func (b *KeyBuilder) Sum() Key {
	if b.h == nil {
		b.Add("", nil)
	}
	var k Key
	copy(k[:], b.h.Sum(nil))
	return k
}

// Options configure a Cache.
type Options struct {
	// Dir keeps the entries in this directory (created 0700 if missing; it must belong to this
	// user and be closed to others). "" keeps them in memory.
	Dir string
	// MaxBytes bounds the entries together; 0 means DefaultMaxBytes. An entry larger than a
	// quarter of it is not kept.
	MaxBytes int64
}

// Stats count what a Cache did.
type Stats struct {
	Hits, Misses, Puts, Evictions, Corrupt int64
	Entries                                int
	Bytes                                  int64
}

// Cache is a bounded store of Entries. It is safe for concurrent use.
type Cache struct {
	max int64
	dir string // "" in memory
	key []byte // disk: the HMAC secret

	mu    sync.Mutex
	lru   *list.List // memory: *memEntry, most recently used first
	items map[Key]*list.Element
	bytes int64

	hits, misses, puts, evictions, corrupt atomic.Int64
}

type memEntry struct {
	key   Key
	entry Entry
	size  int64
}

// New returns an empty in-memory cache, or opens the directory cache of opts.Dir.
func New(opts Options) (*Cache, error) {
	if opts.MaxBytes < 0 {
		return nil, fmt.Errorf("compile cache: size %d: want a positive number of bytes", opts.MaxBytes)
	}
	if opts.MaxBytes == 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	c := &Cache{max: opts.MaxBytes, dir: opts.Dir, lru: list.New(), items: map[Key]*list.Element{}}
	if opts.Dir != "" {
		if err := c.openDir(); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Get returns the entry of key, if the cache holds a sound one.
func (c *Cache) Get(key Key) (Entry, bool) {
	var e Entry
	var ok bool
	if c.dir != "" {
		e, ok = c.getDisk(key)
	} else {
		c.mu.Lock()
		if el, found := c.items[key]; found {
			c.lru.MoveToFront(el)
			e, ok = el.Value.(*memEntry).entry, true
		}
		c.mu.Unlock()
	}
	if ok {
		c.hits.Add(1)
	} else {
		c.misses.Add(1)
	}
	return e, ok
}

// ErrTooBig is returned by Put for an entry larger than a quarter of the cache.
var ErrTooBig = errors.New("compile cache: entry larger than a quarter of the cache; not kept")

// Put keeps e under key, dropping the least recently used entries to stay within bounds.
func (c *Cache) Put(key Key, e Entry) error {
	if err := e.check(); err != nil {
		return fmt.Errorf("compile cache: %w", err)
	}
	size := e.size()
	if size > c.max/4 {
		return ErrTooBig
	}
	c.puts.Add(1)
	if c.dir != "" {
		return c.putDisk(key, e)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, found := c.items[key]; found {
		c.bytes -= el.Value.(*memEntry).size
		c.lru.Remove(el)
	}
	c.items[key] = c.lru.PushFront(&memEntry{key: key, entry: e, size: size})
	c.bytes += size
	for c.bytes > c.max {
		old := c.lru.Back()
		me := old.Value.(*memEntry)
		c.lru.Remove(old)
		delete(c.items, me.key)
		c.bytes -= me.size
		c.evictions.Add(1)
	}
	return nil
}

// Stats reports the counters and, for a memory cache, what it holds.
func (c *Cache) Stats() Stats {
	s := Stats{Hits: c.hits.Load(), Misses: c.misses.Load(), Puts: c.puts.Load(),
		Evictions: c.evictions.Load(), Corrupt: c.corrupt.Load()}
	if c.dir != "" {
		entries, total := c.diskUsage()
		s.Entries, s.Bytes = len(entries), total
		return s
	}
	c.mu.Lock()
	s.Entries, s.Bytes = c.lru.Len(), c.bytes
	c.mu.Unlock()
	return s
}

// Dir is where the cache keeps its entries, "" in memory.
func (c *Cache) Dir() string { return c.dir }
