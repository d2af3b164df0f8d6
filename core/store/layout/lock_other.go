//go:build !unix

package layout

// lockFile has no cross-process lock to take here: on these platforms only one process may
// use a store at a time (the in-process mutex still orders goroutines).
func lockFile(path string) (unlock func(), err error) { return func() {}, nil }

// processGone cannot tell here, so temporary files are never removed as litter.
func processGone(pid int) bool { return false }
