package remote

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// Token rules, shared by every reader of a token file (the executor, `serve --api-token-file`,
// the CLI and the LSP server): a token file holds a secret and nothing else, so a path that
// names anything else (a private key, a device, a FIFO) is refused before a byte is sent.
const (
	// MinTokenLen is the shortest token a server accepts: shorter ones are guessable.
	MinTokenLen = 16
	// MaxTokenFileSize is the largest token file read.
	MaxTokenFileSize = 1 << 10
)

// MakeTokenHint says how to make a good token file at path.
func MakeTokenHint(path string) string {
	return fmt.Sprintf("make one with: head -c 32 /dev/urandom | base64 > %s && chmod 600 %s", path, path)
}

// ReadToken reads a token file. It accepts only a regular file of at most MaxTokenFileSize
// bytes, not readable by group or others, holding one line of printable ASCII (an ending
// newline and surrounding spaces are dropped) of at least MinTokenLen characters, that is not
// another program's credential file: neither by its path or the path it links to (credfile.go:
// ~/.git-credentials, ~/.netrc, ~/.ssh/…, ~/.aws/credentials, ~/.docker/config.json, *.pem, …),
// read before the file is opened, nor by its content's shape (a URL with user:password@, a key
// header, JSON or INI, NAME=VALUE, another service's token prefix). Anything else is an error
// whose one sentence names the rule broken (never the content); the file is opened without
// blocking (a FIFO does not hang it) and a device is never read.
func ReadToken(path string) (string, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("token file %s %s; %s", path, fmt.Sprintf(format, args...), MakeTokenHint(path))
	}
	refuse := func(what string) error {
		return fmt.Errorf("token file %s is %s, not a token: sandrun sends a token file to the executor as it is, so it refuses another program's credentials; %s",
			path, what, MakeTokenHint("FILE"))
	}
	if what := credentialPath(path); what != "" {
		return "", refuse(what)
	}
	if real, err := filepath.EvalSymlinks(path); err == nil && real != filepath.Clean(path) {
		if what := credentialPath(real); what != "" {
			return "", refuse("a link to " + what)
		}
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", bad("does not exist")
		}
		return "", fmt.Errorf("token file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("token file: %w", err)
	}
	switch {
	case !fi.Mode().IsRegular():
		return "", bad("is not a regular file (it is a %s)", fileKind(fi.Mode()))
	case fi.Size() > MaxTokenFileSize:
		return "", bad("is %d bytes, more than a token (at most %d)", fi.Size(), MaxTokenFileSize)
	case fi.Mode().Perm()&0o044 != 0:
		return "", fmt.Errorf("token file %s can be read by other users (mode %v); run: chmod 600 %s", path, fi.Mode().Perm(), path)
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxTokenFileSize+1))
	if err != nil {
		return "", fmt.Errorf("token file: %w", err)
	}
	if len(b) > MaxTokenFileSize {
		return "", bad("is more than %d bytes, more than a token", MaxTokenFileSize)
	}
	tok := strings.TrimSpace(string(b))
	for i := 0; i < len(tok); i++ {
		if c := tok[i]; c == '\n' || c == '\r' {
			return "", bad("holds more than one line; a token is one line")
		} else if c < 0x20 || c > 0x7e {
			return "", bad("holds a character that is not printable ASCII (byte %d)", i)
		}
	}
	switch {
	case tok == "":
		return "", bad("is empty")
	case len(tok) < MinTokenLen:
		return "", bad("holds a token of %d characters; at least %d are needed so it cannot be guessed", len(tok), MinTokenLen)
	}
	if what := credentialContent(tok); what != "" {
		return "", refuse("shaped like " + what)
	}
	return tok, nil
}

// CheckToken says why a token given directly (not from a file) is too weak for a server.
func CheckToken(tok string) error {
	if len(tok) < MinTokenLen {
		return fmt.Errorf("the token has %d characters; at least %d are needed so it cannot be guessed (%s)",
			len(tok), MinTokenLen, MakeTokenHint("FILE"))
	}
	return nil
}

// fileKind names a file type in words.
func fileKind(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "directory"
	case m&os.ModeNamedPipe != 0:
		return "named pipe"
	case m&os.ModeSocket != 0:
		return "socket"
	case m&os.ModeCharDevice != 0:
		return "character device"
	case m&os.ModeDevice != 0:
		return "device"
	}
	return "special file"
}
