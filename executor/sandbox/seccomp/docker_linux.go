//go:build linux && (amd64 || arm64)

package seccomp

// dockerRule is one rule of Docker's default profile (docker_<arch>.go, generated): Names get
// Action when every one of Args holds (always when there are none).
type dockerRule struct {
	Names  []string
	Action Action
	Args   []dockerArg
}

// dockerArg is a libseccomp argument test, as the profile writes it: argument Index compared
// with Value by Op ("SCMP_CMP_EQ", "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ": arg&Value == ValueTwo).
type dockerArg struct {
	Index    uint
	Value    uint64
	ValueTwo uint64
	Op       string
}
