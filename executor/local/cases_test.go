package local

import (
	"context"
	"testing"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/languages"
)

func TestRunCases(t *testing.T) {
	str := func(s string) *string { return &s }
	req := Request{Cases: []Case{
		{Stdin: []byte("1 2"), Expected: str("3\n")},
		{Stdin: []byte("2 2"), Expected: str("5")},
		{Stdin: []byte("boom")},
		{Stdin: []byte("0 0")},
	}}
	outputs := map[string]Result{
		"1 2":  {Status: StatusOK, Stdout: "3  \n\n", CPUTimeMs: 10, MemoryKiB: 100},
		"2 2":  {Status: StatusOK, Stdout: "4\n", CPUTimeMs: 10, MemoryKiB: 300},
		"boom": {Status: StatusRuntimeError, ExitCode: 1, Message: "the program exited with code 1"},
		"0 0":  {Status: StatusOK, Stdout: "0\n"},
	}
	res, err := runCases(context.Background(), req, func(stdin []byte) (Result, error) { return outputs[string(stdin)], nil })
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Cases) != 4 {
		t.Fatalf("%d case results, want 4", len(res.Cases))
	}
	if p := res.Cases[0].Passed; p == nil || !*p {
		t.Errorf("case 1: passed = %v, want true (trailing white space ignored)", p)
	}
	if p := res.Cases[1].Passed; p == nil || *p {
		t.Errorf("case 2: passed = %v, want false", p)
	}
	if res.Cases[2].Passed != nil || res.Cases[3].Passed != nil {
		t.Errorf("cases without expected output have Passed set")
	}
	if c := res.Cases[1]; c.Status != StatusWrongAnswer || c.Message == "" {
		t.Errorf("case 2: status %s %q, want wrong_answer and a message", c.Status, c.Message)
	}
	if res.Status != StatusWrongAnswer || res.Message != "2 of 4 cases passed; first failure: case 2: the output differs from the expected output" {
		t.Errorf("status %s %q", res.Status, res.Message)
	}
	if res.CPUTimeMs != 20 || res.MemoryKiB != 300 {
		t.Errorf("cpu %d mem %d, want sums and peak 20 300", res.CPUTimeMs, res.MemoryKiB)
	}
}

// TestCaseDiagnostics: each case of a multi-case run carries the problems of its own run; the
// top-level Result carries every case's.
func TestCaseDiagnostics(t *testing.T) {
	set, err := languages.Load()
	if err != nil {
		t.Fatal(err)
	}
	py, ok := set.Lookup("python")
	if !ok {
		t.Fatal("no python definition")
	}
	src := "a, b = map(int, input().split())\nprint(a // b)\n"
	req := Request{Language: "python", Files: []executor.File{{Name: "main.py", Content: []byte(src)}}}
	trace := "Traceback (most recent call last):\n  File \"/work/main.py\", line 2, in <module>\n    print(a // b)\nZeroDivisionError: integer division or modulo by zero\n"
	res := Result{Status: StatusRuntimeError, Cases: []executor.CaseResult{
		{Result: Result{Status: StatusOK, Stdout: "2\n"}},
		{Result: Result{Status: StatusRuntimeError, ExitCode: 1, Stderr: trace}},
	}}
	res.Diagnostics = diagnostics(py, req, &res)
	if len(res.Diagnostics) != 1 || res.Diagnostics[0].Line != 2 {
		t.Errorf("top-level diagnostics %+v, want one on line 2", res.Diagnostics)
	}
	if d := res.Cases[0].Diagnostics; d == nil || len(d) != 0 {
		t.Errorf("case 1 (ok): diagnostics %#v, want an empty list", d)
	}
	if d := res.Cases[1].Diagnostics; len(d) != 1 || d[0].Line != 2 || d[0].Message != "ZeroDivisionError: integer division or modulo by zero" {
		t.Errorf("case 2: diagnostics %+v, want the ZeroDivisionError on line 2", d)
	}
}
