//go:build !linux

package main

import (
	"os"

	"golang.org/x/term"

	"github.com/layerlab/layerlab/core/cli"
)

// withTerminal tells the docker commands when stdout is a terminal. Only the Linux build
// turns a tty's echo off, so only there does docker login prompt for a password.
func withTerminal(env *cli.Env, stdin, stdout any) {
	if f, ok := stdout.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fd := int(f.Fd())
		env.TTY = true
		env.Width = func() int {
			w, _, err := term.GetSize(fd)
			if err != nil {
				return 0
			}
			return w
		}
	}
}
