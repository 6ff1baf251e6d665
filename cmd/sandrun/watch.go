package main

import (
	"context"
	"errors"
)

func watchCmd(ctx context.Context, args []string) error {
	return errors.New("not implemented yet")
}
