package main

import (
	"context"
	"errors"
	"fmt"
	"runtime"

	"github.com/sandrun/sandrun/executor"
)

func versionCmd(ctx context.Context, args []string) error {
	fs := newFlagSet("version")
	if err := parseFlags(fs, "usage: sandrun version\n\nPrints sandrun's version, the Go it was built with, and its platform.", args); err != nil {
		if errors.Is(err, errHelpShown) {
			return nil
		}
		return err // --json and other flags it does not have: one sentence, exit 2
	}
	if fs.NArg() > 0 {
		return usageError("unexpected argument %q: sandrun version takes none", fs.Arg(0))
	}
	fmt.Printf("sandrun %s (%s, %s/%s)\n", executor.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}
