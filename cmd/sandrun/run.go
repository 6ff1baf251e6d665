package main

import (
	"context"
	"errors"
)

func runCmd(ctx context.Context, args []string) error {
	return errors.New("not implemented yet")
}
