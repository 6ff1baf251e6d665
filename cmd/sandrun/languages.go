package main

import (
	"context"
	"errors"
)

func languagesCmd(ctx context.Context, args []string) error {
	return errors.New("not implemented yet")
}
