package local

import (
	"context"
	"testing"
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
