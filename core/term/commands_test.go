package term

import (
	"context"
	"strings"
	"testing"
)

// TestSharedCommands: the terminal runs core/shell's applets in coreutils' wording, and
// not the ones that only make sense inside an image.
func TestSharedCommands(t *testing.T) {
	tests := []struct {
		name, script, wantOut, wantErr string
		wantCode                       int
	}{
		{name: "grep and sort", script: "printf 'b\\na\\nc\\n' > f && sort f | grep -v c", wantOut: "a\nb\n"},
		{name: "tar and gzip round trip", script: "mkdir -p d && echo hi > d/x && tar czf d.tgz d && rm -r d && tar xzf d.tgz && cat d/x", wantOut: "hi\n"},
		{name: "rmdir", script: "rmdir nope", wantErr: "rmdir: failed to remove 'nope': No such file or directory\n", wantCode: 1},
		{name: "no package managers here", script: "apk add curl", wantCode: 127,
			wantErr: "apk: the playground does not have this command; run help to see the ones it has\n"},
		{name: "chmod is accepted", script: "touch s && chmod +x s && ls", wantOut: "s\n"},
		{name: "ln -s says why not", script: "touch a && ln -s a b", wantCode: 1,
			wantErr: "ln: a: symlink /workspace/b: the playground's files have no links\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sh, _ := newTestShell(t)
			var out, errb strings.Builder
			code, _ := sh.Run(context.Background(), "", tc.script, IO{Stdout: &out, Stderr: &errb})
			if got := out.String(); got != tc.wantOut {
				t.Errorf("stdout: got %q; want %q", got, tc.wantOut)
			}
			if got := errb.String(); got != tc.wantErr {
				t.Errorf("stderr: got %q; want %q", got, tc.wantErr)
			}
			if code != tc.wantCode {
				t.Errorf("exit: got %d; want %d", code, tc.wantCode)
			}
		})
	}
	for _, c := range Commands() {
		if c == "apk" || c == "adduser" {
			t.Errorf("Commands() offers %s, which the terminal does not run", c)
		}
	}
}
