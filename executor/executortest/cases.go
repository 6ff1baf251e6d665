package executortest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/sandrun/sandrun/executor"
)

// testCasesIsolated: every case of a request starts from the same /work with a fresh /tmp, as
// if it were its own run; what one case writes, the next does not see.
func testCasesIsolated(t *testing.T, ex executor.Executor) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	req := source("python", "main.py", `import os
seen = [p for p in ("/tmp/planted", "planted", "/dev/shm/planted") if os.path.exists(p)]
print(input(), "sees", seen, "main.py" in os.listdir("."))
for p in ("/tmp/planted", "planted", "/dev/shm/planted"):
    open(p, "w").write("x")
`)
	for i := 1; i <= 3; i++ {
		req.Cases = append(req.Cases, executor.Case{Stdin: []byte(fmt.Sprintf("case%d\n", i))})
	}
	res, err := ex.Run(ctx, req, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != executor.StatusOK || len(res.Cases) != 3 {
		t.Fatalf("%s: %s (%d cases)", res.Status, res.Message, len(res.Cases))
	}
	for i, c := range res.Cases {
		if want := fmt.Sprintf("case%d sees [] True\n", i+1); c.Stdout != want {
			t.Errorf("case %d: stdout %q, want %q (stderr %q)", i+1, c.Stdout, want, c.Stderr)
		}
	}
}
