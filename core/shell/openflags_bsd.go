//go:build darwin || freebsd || netbsd || openbsd || dragonfly

package shell

// Open flags as the shell interpreter passes them (os.O_*), without importing os: core stays
// plain Go. openflags_test.go checks them against the os package.
const (
	oWRONLY = 0x1
	oRDWR   = 0x2
	oAPPEND = 0x8
	oCREATE = 0x200
	oTRUNC  = 0x400
)
