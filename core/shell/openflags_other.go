//go:build !(darwin || freebsd || netbsd || openbsd || dragonfly)

package shell

// Open flags as the shell interpreter passes them (os.O_*), without importing os: core stays
// plain Go. openflags_test.go checks them against the os package. Linux, js/wasm, wasip1 and
// Windows share these values.
const (
	oWRONLY = 0x1
	oRDWR   = 0x2
	oCREATE = 0x40
	oTRUNC  = 0x200
	oAPPEND = 0x400
)
