package hostile

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sandrun/sandrun/executor/sandbox"
)

// vandal attacks a host dir it sees through an overlay (as Go runs see the warmed build
// cache): rewrites, deletes, swaps a dir for a link to / and a file for a link to a secret,
// and writes to the read-only lower bind.
const vandal = `c=/tmp/cache
echo vandal > $c/sub/f; echo more >> $c/top; rm -f $c/top2; rm -rf $c/sub2; ln -s / $c/sub2
ln -s "$1" $c/top2; cp /bin/sh $c/sh && chmod 4755 $c/sh; mkdir -p $c/new/deep && echo x > $c/new/deep/y
(echo x > /.overlay/0/planted) 2>/dev/null && echo "lower writable"
(rm -rf /.overlay/0/sub) 2>/dev/null && echo "lower removable"
cat $c/sub/f; ls $c | tr '\n' ' '; echo`

// overlay runs vandal twice through a pool (the second run gets the first's sandbox after a
// reset): the host dir never changes and the second run sees it as it was.
func (s *suite) overlay(t *testing.T) {
	before := takeSnapshot()
	lower := t.TempDir()
	for name, data := range map[string]string{"sub/f": "host\n", "top": "top\n", "top2": "top2\n", "sub2/g": "g\n"} {
		p := filepath.Join(lower, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o666); err != nil {
			t.Fatal(err)
		}
	}
	// As the warmed Go cache is: anybody may write, so that only the mounts stand in the way.
	err := filepath.Walk(lower, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Chmod(p, fi.Mode().Perm()|0o666|(fi.Mode().Perm()&0o111))
	})
	if err != nil {
		t.Fatal(err)
	}
	orig := dirState(t, lower)
	p := sandbox.NewPool(sandbox.PoolOptions{MaxIdle: 1})
	closePool := sync.OnceValue(p.Close)
	defer closePool()
	cfg := sandboxConfig
	cfg.Overlays = []sandbox.Overlay{{Lower: lower, Target: "/tmp/cache", Size: 16 << 20}}
	var outs []string
	for i := 0; i < 2; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		sb, err := p.Get(ctx, cfg)
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		var out, errb strings.Builder
		o, err := sb.Run(ctx, sandbox.Cmd{Args: []string{"/bin/sh", "-c", vandal, "sh", s.secrets[0]},
			Env: []string{"PATH=/usr/bin:/bin"}, Stdout: &out, Stderr: &errb, Limits: limits})
		cancel()
		p.Put(sb)
		if err != nil || o.ExitCode != 0 {
			t.Fatalf("run %d: %v, %+v, %s%s", i, err, o, out.String(), errb.String())
		}
		outs = append(outs, out.String())
		for deadline := time.Now().Add(30 * time.Second); p.Stats().Idle != 1; time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("the sandbox never came back to the pool: %+v", p.Stats())
			}
		}
	}
	want := "vandal\nnew sh sub sub2 top top2 \n"
	if diff := cmp.Diff([]string{want, want}, outs); diff != "" {
		t.Errorf("what the runs saw (-want +got):\n%s", diff)
	}
	if st := p.Stats(); st.Hits < 1 {
		t.Errorf("pool %+v: the second run did not reuse the sandbox, so the case proves less", st)
	}
	if diff := cmp.Diff(orig, dirState(t, lower)); diff != "" {
		t.Errorf("the host dir changed (-want +got):\n%s", diff)
	}
	if err := closePool(); err != nil {
		t.Error(err)
	}
	s.checkHost(t, before)
	s.record(t, "a program rewrites a host dir seen through an overlay (the Go build cache)", "host dir unchanged, next run sees none of it")
}

// dirState maps every path under dir to its type, mode, mtime and content.
func dirState(t *testing.T, dir string) map[string]string {
	t.Helper()
	got := map[string]string{}
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		v := fmt.Sprint(fi.Mode(), " ", fi.ModTime())
		if fi.Mode().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			v += " " + string(b)
		}
		got[strings.TrimPrefix(p, dir)] = v
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}
