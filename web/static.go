package web

import (
	"embed"
	"io/fs"
)

// static holds the browser page: index.html and its bundled assets, built from web/ui.
//
//go:embed all:static
var static embed.FS

// StaticFS returns the page's files, rooted so that "index.html" is the page served at "/".
func StaticFS() fs.FS {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // "static" is a valid, embedded directory name: cannot happen
	}
	return sub
}
