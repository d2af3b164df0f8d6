package term

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/layerlab/layerlab/core/store"
)

// docker login prompts when its stdin is the terminal (IO.Echo set) and turns the echo off
// around the password; piped into, it refuses as docker does from a pipe.
func TestDockerLoginPromptsOnTheTerminal(t *testing.T) {
	sh := New(NewMemFS(), store.NewMemory())
	var echo []bool
	setEcho := func(on bool) error { echo = append(echo, on); return nil }
	tests := []struct {
		name, script, stdin string
		wantOut, wantErr    string
		wantEcho            string
	}{
		{"prompted", "docker login 127.0.0.1:1", "\n", "Username: ", "Error: Non-null Username Required\n", "[]"},
		{"password", "docker login -u me 127.0.0.1:1", "\n", "Password: \n", "Error: Password Required\n", "[false true]"},
		{"piped", "echo pw | docker login -u me 127.0.0.1:1", "", "", "Error: Cannot perform an interactive login from a non TTY device\n", "[]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			echo = nil
			var out, errb bytes.Buffer
			sh.Run(context.Background(), "", tc.script, IO{Stdin: strings.NewReader(tc.stdin), Stdout: &out, Stderr: &errb, TTY: true, Echo: setEcho})
			if out.String() != tc.wantOut || errb.String() != tc.wantErr {
				t.Errorf("got %q, %q; want %q, %q", out.String(), errb.String(), tc.wantOut, tc.wantErr)
			}
			if got := fmt.Sprint(echo); got != tc.wantEcho {
				t.Errorf("echo: got %s; want %s", got, tc.wantEcho)
			}
		})
	}
}
