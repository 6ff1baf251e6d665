package remote

import (
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// A token file's content is sent to an executor, and its path may come from somewhere the user
// did not look (an editor's workspace settings name the LSP's token file). So a path that names
// a well-known credential file, or content shaped like one, is refused even when it passes the
// token rules: a one-line ~/.git-credentials or ~/.netrc kept chmod 600 would otherwise go,
// verbatim, to whatever executor the same settings name.

// credentialFileNames are files that hold another program's credentials. This map and the next
// are made on first use, not in every sandrun process's start.
var credentialFileNames = sync.OnceValue(func() map[string]bool {
	return map[string]bool{
		"credentials": true, "credentials.toml": true, "credentials.json": true, "credentials.db": true,
		"application_default_credentials.json": true, "credentials.tfrc.json": true,
		".git-credentials": true, "git-credentials": true, ".netrc": true, "_netrc": true,
		".gitconfig": true, "gitconfig": true, ".npmrc": true, "npmrc": true, ".yarnrc": true, ".yarnrc.yml": true,
		".pypirc": true, "pip.conf": true, "pip.ini": true, ".pgpass": true, ".my.cnf": true,
		".dockercfg": true, ".vault-token": true, ".s3cfg": true, ".boto": true,
		"settings.xml": true, "settings-security.xml": true, "gradle.properties": true,
		"id_rsa": true, "id_dsa": true, "id_ecdsa": true, "id_ed25519": true, "id_ecdsa_sk": true, "id_ed25519_sk": true,
		"authorized_keys": true, "known_hosts": true, "shadow": true, "gshadow": true, "master.passwd": true,
	}
})

// credentialFileExts end names of key and certificate files.
var credentialFileExts = []string{".pem", ".key", ".p12", ".pfx", ".jks", ".keystore", ".kdbx", ".gpg", ".asc"}

// credentialDirNames are dirs whose every file is another program's secret or configuration.
var credentialDirNames = sync.OnceValue(func() map[string]bool {
	return map[string]bool{
		".ssh": true, ".gnupg": true, ".aws": true, ".azure": true, ".kube": true, ".docker": true,
		".m2": true, ".gradle": true, ".password-store": true,
	}
})

// credentialConfigDirs are dirs under ~/.config that hold other programs' credentials.
var credentialConfigDirs = []string{"gh", "gcloud", "hub"}

// credentialShapes are content that no token has and other programs' credentials do, with what
// they look like; compiled on first use, not in every sandrun process's start.
var credentialShapes = sync.OnceValue(func() []credentialShape {
	return []credentialShape{
		{regexp.MustCompile(`-----BEGIN `), "a PEM or OpenSSH key"},
		{regexp.MustCompile(`^(ssh-|ecdsa-sha2-|sk-ssh-|sk-ecdsa-)`), "an SSH key"},
		{regexp.MustCompile(`[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s]*@`), "a URL with a user name or password (a git credential)"},
		{regexp.MustCompile(`^(machine|default)\s`), "a .netrc entry"},
		{regexp.MustCompile(`^[^:\s]*:[^:\s]*:[^:\s]*:[^:\s]*:`), "a .pgpass entry (host:port:database:user:password)"},
		{regexp.MustCompile(`^[{\[]`), "a JSON or INI file"},
		{regexp.MustCompile(`_auth(Token)?\s*=`), "an .npmrc auth setting"},
		{regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]*(\s*=\s*|\s*:\s+)[^=\s]`), "a setting (NAME=VALUE), not a token"},
		{regexp.MustCompile(`^(gh[pousr]_|github_pat_|glpat-|xox[abpr]-|npm_)`), "a token for another service (GitHub, GitLab, Slack, npm)"},
	}
})

type credentialShape struct {
	re   *regexp.Regexp
	what string
}

// credentialPath says what well-known credential file path names ("" if none).
func credentialPath(path string) string {
	clean := filepath.Clean(path)
	name := filepath.Base(clean)
	if credentialFileNames()[name] {
		return "a well-known credential file (" + name + ")"
	}
	for _, ext := range credentialFileExts {
		if strings.HasSuffix(strings.ToLower(name), ext) {
			return "a key or certificate file (" + ext + ")"
		}
	}
	parts := strings.Split(clean, string(filepath.Separator))
	for i, d := range parts[:len(parts)-1] {
		if credentialDirNames()[d] {
			return "in " + d + ", a dir of another program's credentials"
		}
		if d == ".config" && i+2 < len(parts) && slices.Contains(credentialConfigDirs, parts[i+1]) {
			return "in .config/" + parts[i+1] + ", a dir of another program's credentials"
		}
	}
	return ""
}

// credentialContent says what credential the content tok looks like ("" if none).
func credentialContent(tok string) string {
	for _, s := range credentialShapes() {
		if s.re.MatchString(tok) {
			return s.what
		}
	}
	return ""
}
