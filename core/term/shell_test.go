package term

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/layerlab/layerlab/core/store"
)

func newTestShell(t testing.TB) (*Shell, *MemFS) {
	t.Helper()
	fsys := NewMemFS(Workspace, Home)
	fsys.now = func() time.Time { return time.Date(2026, 11, 22, 5, 0, 0, 0, time.UTC) }
	return New(fsys, store.NewMemory()), fsys
}

func readFile(t *testing.T, fsys FS, name string) string {
	t.Helper()
	f, err := fsys.Open(context.Background(), name)
	if err != nil {
		return "<" + reason(err) + ">"
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestRun(t *testing.T) {
	tests := []struct {
		name, setup, script string
		stdin               string
		tty                 bool
		wantOut, wantErr    string
		wantCode            int
		wantDir             string
		files               map[string]string // absolute path -> content ("<No such file or directory>" = absent)
	}{
		{name: "echo", script: "echo hello world", wantOut: "hello world\n"},
		{name: "pwd starts in the workspace", script: "pwd", wantOut: "/workspace\n"},
		{name: "cd and pwd", setup: "mkdir app", script: "cd app && pwd", wantOut: "/workspace/app\n", wantDir: "/workspace/app"},
		{name: "cd home", script: "cd; pwd; cd ~ && pwd", wantOut: "/root\n/root\n", wantDir: "/root"},
		{name: "tilde", script: "echo ~/x", wantOut: "/root/x\n"},
		{name: "cd missing", script: "cd nope", wantErr: "cd: no such file or directory: \"nope\"\n", wantCode: 1},
		{name: "redirect", script: "echo hi > a.txt; cat a.txt", wantOut: "hi\n", files: map[string]string{"/workspace/a.txt": "hi\n"}},
		{name: "append", script: "echo one > a; echo two >> a; cat < a", wantOut: "one\ntwo\n"},
		{name: "truncate", setup: "echo long line > a", script: "echo x > a; cat a", wantOut: "x\n"},
		{name: "stderr to stdout", script: "cat nope 2>&1 | cat", wantOut: "cat: nope: No such file or directory\n"},
		{name: "pipe", script: "echo abc | cat | cat", wantOut: "abc\n"},
		{name: "dev null", script: "cat nope 2>/dev/null; echo $?", wantOut: "1\n"},
		{name: "heredoc", script: "cat > Dockerfile <<EOF\nFROM busybox\nRUN echo $((1+1))\nEOF\ncat Dockerfile", wantOut: "FROM busybox\nRUN echo 2\n",
			files: map[string]string{"/workspace/Dockerfile": "FROM busybox\nRUN echo 2\n"}},
		{name: "quoted heredoc", script: "cat <<'EOF' > f\n$HOME\nEOF\ncat f", wantOut: "$HOME\n"},
		{name: "stdin", script: "cat", stdin: "from stdin", wantOut: "from stdin"},
		{name: "ls", setup: "mkdir -p b/c; echo x > a; echo y > .hidden", script: "ls", wantOut: "a\nb\n"},
		{name: "ls tty", setup: "mkdir b; echo x > a", script: "ls", tty: true, wantOut: "a  b\n"},
		{name: "ls -a", setup: "echo y > .hidden", script: "ls -a", wantOut: ".\n..\n.hidden\n"},
		{name: "ls -l", setup: "echo hello > a; mkdir d", script: "ls -l",
			wantOut: "total 5\n-rw-r--r-- 1 root root    6 Nov 22 05:00 a\ndrwxr-xr-x 1 root root 4096 Nov 22 05:00 d\n"},
		{name: "ls -la", setup: "echo hello > a", script: "ls -la a", wantOut: "-rw-r--r-- 1 root root 6 Nov 22 05:00 a\n"},
		{name: "ls missing", script: "ls nope", wantErr: "ls: cannot access 'nope': No such file or directory\n", wantCode: 2},
		{name: "ls bad flag", script: "ls -z", wantErr: "ls: invalid option -- 'z'\n", wantCode: 2},
		{name: "ls two folders", setup: "mkdir -p x y; echo 1 > x/f", script: "ls x y", wantOut: "x:\nf\n\ny:\n"},
		{name: "mkdir", script: "mkdir a && ls", wantOut: "a\n"},
		{name: "mkdir exists", setup: "mkdir a", script: "mkdir a", wantErr: "mkdir: cannot create directory 'a': File exists\n", wantCode: 1},
		{name: "mkdir no parent", script: "mkdir a/b", wantErr: "mkdir: cannot create directory 'a/b': No such file or directory\n", wantCode: 1},
		{name: "mkdir -p", script: "mkdir -p a/b/c && cd a/b/c && pwd", wantOut: "/workspace/a/b/c\n", wantDir: "/workspace/a/b/c"},
		{name: "rm", setup: "echo x > a", script: "rm a; ls", files: map[string]string{"/workspace/a": "<No such file or directory>"}},
		{name: "rm missing", script: "rm a", wantErr: "rm: cannot remove 'a': No such file or directory\n", wantCode: 1},
		{name: "rm -f missing", script: "rm -f a"},
		{name: "rm folder", setup: "mkdir d", script: "rm d", wantErr: "rm: cannot remove 'd': Is a directory\n", wantCode: 1},
		{name: "rm -rf folder", setup: "mkdir -p d/e; echo x > d/e/f", script: "rm -rf d; ls", files: map[string]string{"/workspace/d/e/f": "<No such file or directory>"}},
		{name: "rm workspace", script: "rm -rf /workspace", wantErr: "rm: refusing to remove '/workspace': the playground keeps it\n", wantCode: 1},
		{name: "cp", setup: "echo x > a", script: "cp a b", files: map[string]string{"/workspace/a": "x\n", "/workspace/b": "x\n"}},
		{name: "cp into folder", setup: "echo x > a; echo y > b; mkdir d", script: "cp a b d", files: map[string]string{"/workspace/d/a": "x\n", "/workspace/d/b": "y\n"}},
		{name: "cp folder without -r", setup: "mkdir d", script: "cp d e", wantErr: "cp: -r not specified; omitting directory 'd'\n", wantCode: 1},
		{name: "cp -r", setup: "mkdir -p d/e; echo x > d/e/f", script: "cp -r d g", files: map[string]string{"/workspace/g/e/f": "x\n", "/workspace/d/e/f": "x\n"}},
		{name: "cp missing operand", script: "cp a", wantErr: "cp: missing destination file operand after 'a'\n", wantCode: 1},
		{name: "mv rename", setup: "echo x > a", script: "mv a b", files: map[string]string{"/workspace/a": "<No such file or directory>", "/workspace/b": "x\n"}},
		{name: "mv folder", setup: "mkdir -p d; echo x > d/f", script: "mv d e", files: map[string]string{"/workspace/d/f": "<No such file or directory>", "/workspace/e/f": "x\n"}},
		{name: "mv into folder", setup: "echo x > a; mkdir d", script: "mv a d/", files: map[string]string{"/workspace/d/a": "x\n"}},
		{name: "mv into itself", setup: "mkdir d", script: "mv d d/e", wantErr: "mv: cannot move 'd' to a subdirectory of itself, 'd/e'\n", wantCode: 1},
		{name: "touch", script: "touch a; cat a; ls", wantOut: "a\n", files: map[string]string{"/workspace/a": ""}},
		{name: "home files", script: "mkdir -p ~/.docker && echo '{}' > ~/.docker/config.json; cat /root/.docker/config.json", wantOut: "{}\n"},
		{name: "glob", setup: "echo 1 > a.txt; echo 2 > b.txt; echo 3 > c.md", script: "echo *.txt", wantOut: "a.txt b.txt\n"},
		{name: "variables", script: "X=world; echo \"hello $X\"", wantOut: "hello world\n"},
		{name: "and or", script: "false || echo yes; true && echo also", wantOut: "yes\nalso\n"},
		{name: "unknown command", script: "vim Dockerfile", wantErr: "vim: the playground does not have this command; run help to see the ones it has\n", wantCode: 127},
		{name: "help", script: "help > h && cat h | cat > /dev/null; echo $?", wantOut: "0\n", files: map[string]string{"/workspace/h": helpText}},
		{name: "clear", script: "clear", wantOut: "\x1b[H\x1b[2J\x1b[3J"},
		{name: "syntax error", script: "echo 'oops", wantErr: "layerlab: 1:6: reached EOF without closing quote `'`\n", wantCode: 2},
		{name: "exit status", script: "exit 3", wantCode: 3},
		{name: "docker images", script: "docker images", wantOut: "REPOSITORY   TAG       IMAGE ID   CREATED   SIZE\n"},
		{name: "docker bad command", script: "docker nope", wantCode: 1, wantErr: "docker: unknown command: docker nope\n\nRun 'docker --help' for more information\n"},
		{name: "docker files relative to cwd", setup: "mkdir d", script: "cd d && docker load -i missing.tar", wantCode: 1,
			wantErr: "open /workspace/d/missing.tar: file does not exist\n", wantDir: "/workspace/d"},
		{name: "sleep", script: "sleep 0.01 && echo done", wantOut: "done\n"},
		{name: "sleep bad", script: "sleep x", wantErr: "sleep: invalid time interval 'x'\n", wantCode: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sh, fsys := newTestShell(t)
			ctx := context.Background()
			if tc.setup != "" {
				var errb strings.Builder
				if code, _ := sh.Run(ctx, "", tc.setup, IO{Stderr: &errb}); code != 0 {
					t.Fatalf("setup exited %d: %s", code, errb.String())
				}
			}
			var out, errb strings.Builder
			code, dir := sh.Run(ctx, "", tc.script, IO{Stdin: strings.NewReader(tc.stdin), Stdout: &out, Stderr: &errb, TTY: tc.tty})
			if got := out.String(); got != tc.wantOut {
				t.Errorf("stdout: got %q; want %q", got, tc.wantOut)
			}
			if got := errb.String(); got != tc.wantErr {
				t.Errorf("stderr: got %q; want %q", got, tc.wantErr)
			}
			if code != tc.wantCode {
				t.Errorf("exit: got %d; want %d", code, tc.wantCode)
			}
			wantDir := tc.wantDir
			if wantDir == "" {
				wantDir = Workspace
			}
			if dir != wantDir {
				t.Errorf("dir: got %q; want %q", dir, wantDir)
			}
			for p, want := range tc.files {
				if got := readFile(t, fsys, p); got != want {
					t.Errorf("%s: got %q; want %q", p, got, want)
				}
			}
		})
	}
}

// chunkWriter records each write.
type chunkWriter struct{ chunks []string }

func (c *chunkWriter) Write(p []byte) (int, error) {
	c.chunks = append(c.chunks, string(p))
	return len(p), nil
}

func TestDockerOutputByLines(t *testing.T) {
	sh, _ := newTestShell(t)
	var out chunkWriter
	if code, _ := sh.Run(context.Background(), "", "docker images", IO{Stdout: &out}); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if want := []string{"REPOSITORY   TAG       IMAGE ID   CREATED   SIZE\n"}; strings.Join(out.chunks, "|") != strings.Join(want, "|") {
		t.Errorf("writes: got %q; want %q", out.chunks, want)
	}
}

func TestRunCancel(t *testing.T) {
	sh, _ := newTestShell(t)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	var out strings.Builder
	start := time.Now()
	code, _ := sh.Run(ctx, "", "sleep 30; echo after", IO{Stdout: &out})
	if code != 130 {
		t.Errorf("exit: got %d; want 130", code)
	}
	if out.String() != "" {
		t.Errorf("stdout: got %q; want nothing after the cancelled sleep", out.String())
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("cancel took %v", d)
	}
}

func TestCommands(t *testing.T) {
	got := strings.Join(Commands(), " ")
	for _, want := range []string{"docker", "ls", "cat", "cd", "help"} {
		if !strings.Contains(" "+got+" ", " "+want+" ") {
			t.Errorf("Commands() = %q; want it to hold %q", got, want)
		}
	}
}

// FuzzRun runs any script over a fresh MemFS: it must end (the context bounds loops) with an
// exit status, never a panic, and leave the roots in place.
func FuzzRun(f *testing.F) {
	for _, s := range []string{
		"echo hi > a; cat a | cat", "cat > D <<EOF\nFROM x\nEOF", "mkdir -p a/b && cd a/b && cp -r .. ../../c",
		"rm -rf / /workspace ~ *", "mv . ..", "ls -la /", "docker images --format '{{json .}}'", "while true; do :; done",
		"cd ..; cd ..; pwd", "echo $((1/0))", "'", "cat <<", "x=$(ls); echo $x", "cp -r . sub",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, script string) {
		sh, fsys := newTestShell(t)
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		sh.Run(ctx, "", script, IO{Stdout: io.Discard, Stderr: io.Discard})
		for _, root := range []string{Workspace, Home} {
			if fi, err := fsys.Stat(context.Background(), root); err != nil || !fi.Dir {
				t.Fatalf("after %q, %s is gone (%v)", script, root, err)
			}
		}
	})
}

// The terminal's width reaches the run as $COLUMNS, which docker's progress bars are measured
// for; a run given no width has none.
func TestRunColumns(t *testing.T) {
	sh, _ := newTestShell(t)
	for _, tc := range []struct {
		columns int
		want    string
	}{{80, "[80]\n"}, {0, "[]\n"}} {
		var out strings.Builder
		if code, _ := sh.Run(context.Background(), "", `echo "[$COLUMNS]"`, IO{Stdout: &out, TTY: true, Columns: tc.columns}); code != 0 {
			t.Fatalf("exit %d", code)
		}
		if out.String() != tc.want {
			t.Errorf("Columns %d: $COLUMNS printed %q; want %q", tc.columns, out.String(), tc.want)
		}
	}
}
