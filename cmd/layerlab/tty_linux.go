package main

import "golang.org/x/sys/unix"

// echoSwitch turns the echo of the terminal fd on and off.
func echoSwitch(fd int) func(on bool) error {
	return func(on bool) error {
		t, err := unix.IoctlGetTermios(fd, unix.TCGETS)
		if err != nil {
			return err
		}
		if on {
			t.Lflag |= unix.ECHO
		} else {
			t.Lflag &^= unix.ECHO
		}
		return unix.IoctlSetTermios(fd, unix.TCSETS, t)
	}
}
