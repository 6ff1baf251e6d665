//go:build !linux

package sandbox

func hostNamespace(ns string) string { return "" }
