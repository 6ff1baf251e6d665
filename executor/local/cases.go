package local

import (
	"context"
	"fmt"
	"strings"
)

// runCases runs the program once per case and folds the results into one.
func runCases(ctx context.Context, req Request, run func(stdin []byte) (Result, error)) (Result, error) {
	var res Result
	passed := 0
	for i, c := range req.Cases {
		r, err := run(c.Stdin)
		if err != nil {
			return Result{}, err
		}
		cr := CaseResult{Result: r}
		if c.Expected != nil {
			ok := r.Status == StatusOK && sameOutput(r.Stdout, *c.Expected)
			cr.Passed = &ok
			if r.Status == StatusOK && !ok {
				cr.Status, cr.Message = StatusWrongAnswer, "the output differs from the expected output"
			}
		}
		if cr.Status == StatusOK {
			passed++
		} else if res.Status == "" {
			res.Status, res.ExitCode, res.Signal = cr.Status, cr.ExitCode, cr.Signal
			res.Message = fmt.Sprintf("case %d: %s", i+1, cr.Message)
		}
		res.CPUTimeMs += r.CPUTimeMs
		res.WallTimeMs += r.WallTimeMs
		res.MemoryKiB = max(res.MemoryKiB, r.MemoryKiB)
		res.Cases = append(res.Cases, cr)
		if ctx.Err() != nil {
			return Result{}, ctx.Err()
		}
	}
	if res.Status == "" {
		res.Status = StatusOK
	} else {
		res.Message = fmt.Sprintf("%d of %d cases passed; first failure: %s", passed, len(req.Cases), res.Message)
	}
	return res, nil
}

// sameOutput compares program output with expected output, ignoring trailing white space on
// each line and trailing blank lines (the usual judge rule).
func sameOutput(got, want string) bool {
	norm := func(s string) string {
		lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
		for i, l := range lines {
			lines[i] = strings.TrimRight(l, " \t")
		}
		return strings.TrimRight(strings.Join(lines, "\n"), "\n")
	}
	return norm(got) == norm(want)
}
