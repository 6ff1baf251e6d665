// Package archtest holds no code: its tests check the repository's architecture rules (see
// docs/architecture.md): which package may import which, and that nothing in the repository
// cites a document that lives outside it.
package archtest
