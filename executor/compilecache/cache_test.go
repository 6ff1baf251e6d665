package compilecache

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func key(s string) Key {
	var b KeyBuilder
	b.AddString("k", s)
	return b.Sum()
}

func entry(data string) Entry {
	return Entry{Files: []File{{Path: "main", Mode: 0o755, Data: []byte(data)}, {Path: "sub/x.class", Mode: 0o644, Data: []byte("cls")}},
		Stderr: "warning: " + data}
}

// caches runs a test against a memory cache and a directory cache.
func caches(t *testing.T, max int64, f func(t *testing.T, c *Cache)) {
	t.Run("memory", func(t *testing.T) {
		c, err := New(Options{MaxBytes: max})
		if err != nil {
			t.Fatal(err)
		}
		f(t, c)
	})
	t.Run("disk", func(t *testing.T) {
		c, err := New(Options{Dir: filepath.Join(t.TempDir(), "cc"), MaxBytes: max})
		if err != nil {
			t.Fatal(err)
		}
		f(t, c)
	})
}

func TestKeyFieldsDoNotCollide(t *testing.T) {
	var a, b KeyBuilder
	a.AddString("x", "ab")
	a.AddString("y", "c")
	b.AddString("x", "a")
	b.AddString("y", "bc")
	if a.Sum() == b.Sum() {
		t.Error("different inputs gave the same key")
	}
}

func TestHitMiss(t *testing.T) {
	caches(t, 0, func(t *testing.T, c *Cache) {
		if _, ok := c.Get(key("a")); ok {
			t.Fatal("hit in an empty cache")
		}
		want := entry("A")
		if err := c.Put(key("a"), want); err != nil {
			t.Fatal(err)
		}
		got, ok := c.Get(key("a"))
		if !ok {
			t.Fatal("miss after Put")
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("entry (-want +got):\n%s", diff)
		}
		if _, ok := c.Get(key("b")); ok {
			t.Error("hit for another key")
		}
		s := c.Stats()
		if s.Hits != 1 || s.Misses != 2 || s.Puts != 1 || s.Entries != 1 {
			t.Errorf("stats %+v", s)
		}
	})
}

func TestEvictsLeastRecentlyUsed(t *testing.T) {
	// Each entry is about 1 KiB; the cache holds about four of them.
	big := func(s string) Entry {
		return Entry{Files: []File{{Path: "f", Mode: 0o755, Data: bytes.Repeat([]byte(s), 1000)}}}
	}
	caches(t, 4600, func(t *testing.T, c *Cache) {
		for i, k := range []string{"a", "b", "c", "d"} {
			if err := c.Put(key(k), big(k)); err != nil {
				t.Fatal(err)
			}
			if c.dir != "" { // mtimes are the disk cache's recency; make them distinct
				at := time.Now().Add(time.Duration(i-10) * time.Minute)
				os.Chtimes(c.path(key(k)), at, at)
			}
		}
		if _, ok := c.Get(key("a")); !ok { // a is now the most recently used
			t.Fatal("a was evicted too early")
		}
		if err := c.Put(key("e"), big("e")); err != nil {
			t.Fatal(err)
		}
		for k, want := range map[string]bool{"a": true, "b": false, "c": true, "d": true, "e": true} {
			if _, ok := c.Get(key(k)); ok != want {
				t.Errorf("%s present = %v, want %v", k, ok, want)
			}
		}
		if s := c.Stats(); s.Evictions != 1 || s.Bytes > 4600 {
			t.Errorf("stats %+v, want 1 eviction and at most 4600 bytes", s)
		}
	})
}

func TestRefusesBadEntries(t *testing.T) {
	caches(t, 1000, func(t *testing.T, c *Cache) {
		for _, p := range []string{"", "/abs", "../up", "a/../../b", "a//b"} {
			if err := c.Put(key(p), Entry{Files: []File{{Path: p}}}); err == nil {
				t.Errorf("Put with path %q: no error", p)
			}
		}
		if err := c.Put(key("m"), Entry{Files: []File{{Path: "x", Mode: os.ModeSetuid | 0o755}}}); err == nil {
			t.Error("Put with a setuid mode: no error")
		}
		if err := c.Put(key("big"), Entry{Files: []File{{Path: "x", Data: make([]byte, 300)}}}); err != ErrTooBig {
			t.Errorf("Put of a third of the cache = %v, want ErrTooBig", err)
		}
	})
}

// A damaged entry, or one this cache did not write, is a miss and is removed.
func TestDiskDistrustsFilesItDidNotWrite(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cc")
	c, err := New(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	other, err := New(Options{Dir: filepath.Join(t.TempDir(), "other")})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		plant func(p string)
	}{
		{"flipped byte", func(p string) {
			c.Put(key("x"), entry("X"))
			b, _ := os.ReadFile(p)
			b[len(b)-1] ^= 1
			os.WriteFile(p, b, 0o600)
		}},
		{"truncated", func(p string) {
			c.Put(key("x"), entry("X"))
			b, _ := os.ReadFile(p)
			os.WriteFile(p, b[:len(b)/2], 0o600)
		}},
		{"written by another cache", func(p string) {
			other.Put(key("x"), entry("X"))
			b, _ := os.ReadFile(other.path(key("x")))
			os.WriteFile(p, b, 0o600)
		}},
		{"another key's entry", func(p string) {
			c.Put(key("y"), entry("Y"))
			os.Rename(c.path(key("y")), p)
		}},
		{"symbolic link", func(p string) {
			c.Put(key("y"), entry("Y"))
			os.Symlink(c.path(key("y")), p)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := c.path(key("x"))
			os.Remove(p)
			tt.plant(p)
			if e, ok := c.Get(key("x")); ok {
				t.Errorf("Get trusted the entry: %+v", e)
			}
			if _, err := os.Lstat(p); err == nil && tt.name != "symbolic link" {
				t.Error("the bad entry was not removed")
			}
		})
	}
	if c.Stats().Corrupt == 0 {
		t.Error("no entry counted as corrupt")
	}
	// A sound entry still works after all that.
	if err := c.Put(key("x"), entry("X")); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Get(key("x")); !ok {
		t.Error("miss for a sound entry")
	}
	// So does a second Cache on the same directory (another sandrun process): same secret.
	again, err := New(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := again.Get(key("x")); !ok {
		t.Error("a second process misses an entry the first wrote")
	}
}

func TestDirMustBeOwnAndClosed(t *testing.T) {
	base := t.TempDir()
	open := filepath.Join(base, "open")
	os.Mkdir(open, 0o777)
	os.Chmod(open, 0o777)
	link := filepath.Join(base, "link")
	os.Symlink(t.TempDir(), link)
	file := filepath.Join(base, "file")
	os.WriteFile(file, nil, 0o600)
	for _, tt := range []struct{ dir, want string }{
		{open, "others may write"},
		{link, "not a directory"},
		{file, "not a directory"},
	} {
		_, err := New(Options{Dir: tt.dir})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("New(%s) = %v, want an error saying %q", tt.dir, err, tt.want)
		}
	}
}

// Identical compiles finishing at once both Put; readers never see a torn entry.
func TestConcurrent(t *testing.T) {
	caches(t, 1<<20, func(t *testing.T, c *Cache) {
		var wg sync.WaitGroup
		errs := make(chan error, 100)
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := 0; j < 20; j++ {
					k := key(fmt.Sprint(j % 3))
					want := entry(fmt.Sprint(j % 3))
					if err := c.Put(k, want); err != nil {
						errs <- err
						return
					}
					if got, ok := c.Get(k); ok && !cmp.Equal(want, got) {
						errs <- fmt.Errorf("torn entry: %+v", got)
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if s := c.Stats(); s.Corrupt != 0 {
			t.Errorf("stats %+v: corrupt entries", s)
		}
	})
}
