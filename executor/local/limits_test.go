package local

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sandrun/sandrun/executor"
	"github.com/sandrun/sandrun/languages"
)

func TestResolveLimits(t *testing.T) {
	def, max := executor.DefaultLimits(), executor.MaxLimits()
	got, err := resolveLimits("limits", Limits{CPUTimeMs: 500}, def, max, languages.Overrides{MemoryMiB: 512}, false)
	if err != nil {
		t.Fatal(err)
	}
	want := def
	want.CPUTimeMs, want.WallTimeMs, want.MemoryBytes = 500, 2000, 512*mib
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("resolveLimits (-want +got):\n%s", d)
	}
	_, err = resolveLimits("limits", Limits{CPUTimeMs: max.CPUTimeMs + 1}, def, max, languages.Overrides{}, false)
	var re *executor.RequestError
	if !errors.As(err, &re) || re.Field != "limits.cpu_time_ms" || !strings.Contains(re.Msg, "out of range") {
		t.Fatalf("too-large CPU limit: err = %v", err)
	}
}
