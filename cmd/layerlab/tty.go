package main

import (
	"os"

	"golang.org/x/term"

	"github.com/layerlab/layerlab/core/cli"
)

// withTerminal tells the docker commands when stdout and stdin are a terminal: pull and
// push redraw their progress in place, docker login prompts (its password with the tty's
// echo off, where echoSwitch can turn it off).
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
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		if echo := echoSwitch(int(f.Fd())); echo != nil {
			env.Input = &cli.Input{Echo: echo}
		}
	}
}
