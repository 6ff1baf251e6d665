package main

import (
	"context"
	"errors"
)

func serveCmd(ctx context.Context, args []string) error {
	return errors.New("not implemented yet")
}
