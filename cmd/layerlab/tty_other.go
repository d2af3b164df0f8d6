//go:build !linux

package main

// echoSwitch is nil outside Linux: the tty's echo is not turned off there, so docker login
// does not prompt there.
func echoSwitch(fd int) func(on bool) error { return nil }
