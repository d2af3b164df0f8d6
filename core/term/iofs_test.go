package term

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/layerlab/layerlab/core/store"
)

func TestFilesAtFS(t *testing.T) {
	ctx := context.Background()
	fsys := NewMemFS(Workspace, Home)
	for name, data := range map[string]string{"/workspace/app/Dockerfile": "FROM busybox\n", "/workspace/app/src/a.txt": "a\n", "/workspace/app/src/deep/b.txt": "b\n"} {
		w, err := fsys.Create(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(data))
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	f := filesAt{ctx: ctx, fs: fsys, dir: Workspace}
	ctxFS, err := f.FS("app")
	if err != nil {
		t.Fatal(err)
	}
	if err := fstest.TestFS(ctxFS, "Dockerfile", "src/a.txt", "src/deep/b.txt"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.FS("app/Dockerfile"); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("FS of a file: got %v; want a not a directory error", err)
	}
	if _, err := f.FS("nope"); err == nil {
		t.Errorf("FS of a missing folder: got nil error")
	}
}

// TestShellDockerBuild: `docker build` in the shell takes its context from the workspace.
func TestShellDockerBuild(t *testing.T) {
	ctx := context.Background()
	st := store.NewMemory()
	fsys := NewMemFS(Workspace, Home)
	sh := New(fsys, st)
	var out, errb bytes.Buffer
	script := "mkdir app && printf 'FROM scratch\\nCOPY a.txt /a.txt\\nCOPY a.txt /b.txt\\n' > app/Dockerfile && echo hello > app/a.txt && docker build --progress plain -t web app && docker history --format '{{.CreatedBy}}' web"
	code, _ := sh.Run(ctx, "", script, IO{Stdout: &out, Stderr: &errb})
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errb.String())
	}
	for _, want := range []string{"#3 [internal] load build context\n#3 transferring context: 55B done\n", "#4 [1/2] COPY a.txt /a.txt\n", "naming to docker.io/library/web:latest done\n"} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("build output lacks %q:\n%s", want, errb.String())
		}
	}
	if got, want := strings.SplitN(out.String(), "\n", 3)[:2], []string{"COPY a.txt /b.txt # buildkit", "COPY a.txt /a.txt # buildkit"}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("history: got %q; want %q", got, want)
	}
}
