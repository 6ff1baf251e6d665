package main

import (
	"context"
	"errors"
)

func executorCmd(ctx context.Context, args []string) error {
	return errors.New("not implemented yet")
}
