package main

import (
	"context"
	"errors"
)

func lspCmd(ctx context.Context, args []string) error {
	return errors.New("not implemented yet")
}
