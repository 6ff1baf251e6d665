package main

import (
	"context"
	"fmt"
	"runtime"

	"github.com/sandrun/sandrun/executor"
)

func versionCmd(ctx context.Context, args []string) error {
	fmt.Printf("sandrun %s (%s, %s/%s)\n", executor.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}
