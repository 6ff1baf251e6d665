package hostile

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/executor/local"
)

// lookout reports, after a moment, whether a detached process of an earlier run is still
// writing its marker, and whether the persist program's files are there.
const lookout = `#include <stdio.h>
#include <unistd.h>
int main(void) {
	usleep(500000);
	const char *paths[] = {"/tmp/daemon-marker", "/work/planted", "/tmp/planted", "/dev/shm/planted"};
	for (int i = 0; i < 4; i++) printf("%s=%s\n", paths[i], access(paths[i], F_OK) == 0 ? "present" : "absent");
	return 0;
}
`

// pooled runs hostile programs one after another through an executor whose pool hands the
// same sandbox to the next run: nothing of a run (files in /work, /tmp, /dev/shm, a detached
// daemon) may reach the next one, and nothing is left on the host once the executor is closed.
func (s *suite) pooled(t *testing.T) {
	before := takeSnapshot()
	ex, err := local.New(local.Options{Slots: 1, PoolSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	lim := executor.Limits{CPUTimeMs: 1000, WallTimeMs: 10000, MemoryBytes: 128 << 20, Processes: 32,
		OutputBytes: 64 << 10, FileBytes: 8 << 20}
	run := func(src []byte, args ...string) executor.Result {
		t.Helper()
		r, err := ex.Run(ctx, executor.Request{Language: "c", Files: []executor.File{{Name: "main.c", Content: src}},
			Args: args, Limits: lim}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != executor.StatusOK {
			t.Fatalf("%s: %s", r.Status, r.Message)
		}
		return r
	}
	waitIdle := func() {
		for deadline := time.Now().Add(30 * time.Second); ex.PoolStats().Idle != 1; time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("the sandbox never came back to the pool: %+v", ex.PoolStats())
			}
		}
	}
	if r := run(s.source(t, "persist.c"), "plant"); !strings.Contains(r.Stdout, "/dev/shm/planted=present") {
		t.Fatalf("planting: %q", r.Stdout)
	}
	waitIdle()
	run(s.source(t, "daemon.c"), "/tmp/daemon-marker")
	waitIdle()
	r := run([]byte(lookout))
	for _, w := range []string{"/tmp/daemon-marker=absent", "/work/planted=absent", "/tmp/planted=absent", "/dev/shm/planted=absent"} {
		if !strings.Contains(r.Stdout, w) {
			t.Errorf("the next run through the pool sees %q, want %s", r.Stdout, w)
		}
	}
	if st := ex.PoolStats(); st.Hits < 2 {
		t.Errorf("pool %+v: the runs did not reuse the sandbox, so the case proves nothing", st)
	}
	if err := ex.Close(); err != nil {
		t.Error(err)
	}
	s.checkHost(t, before)
	s.record(t, "a run's files and daemon reach the next run through the executor's pool", "all absent")
}
