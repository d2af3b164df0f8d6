package main

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"
)

// The shell itself is tested in core/term; these check the session wires it to the same files
// layerlab.readFile / writeFile use.
func TestExecLine(t *testing.T) {
	tests := []struct {
		name, line, dir string
		wantCode        int
		wantStdout      string // prefix
		wantStderr      string
		wantDir         string
	}{
		{name: "empty", line: "  ", wantDir: "/workspace"},
		{name: "images", line: "docker images", wantStdout: "REPOSITORY   TAG       IMAGE ID   CREATED   SIZE\n", wantDir: "/workspace"},
		{name: "not here", line: "vim x", wantCode: 127, wantStderr: "vim: the playground does not have this command; run help to see the ones it has\n", wantDir: "/workspace"},
		{name: "cd", line: "mkdir -p a && cd a && pwd", wantStdout: "/workspace/a\n", wantDir: "/workspace/a"},
		{name: "starts in dir", line: "pwd", dir: "/root", wantStdout: "/root\n", wantDir: "/root"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := memSession()
			var stdout, stderr strings.Builder
			code, dir := s.execLine(context.Background(), tc.line, tc.dir, false, strings.NewReader(""), &stdout, &stderr)
			if code != tc.wantCode {
				t.Errorf("exit code = %d; want %d (stderr %q)", code, tc.wantCode, stderr.String())
			}
			if got := stdout.String(); !strings.HasPrefix(got, tc.wantStdout) || (tc.wantStdout == "" && got != "") {
				t.Errorf("stdout = %q; want %q", got, tc.wantStdout)
			}
			if got := stderr.String(); got != tc.wantStderr {
				t.Errorf("stderr = %q; want %q", got, tc.wantStderr)
			}
			if dir != tc.wantDir {
				t.Errorf("dir = %q; want %q", dir, tc.wantDir)
			}
		})
	}
}

func TestExecSharesFiles(t *testing.T) {
	s := memSession()
	ctx := context.Background()
	if err := s.files.WriteFile(ctx, "Dockerfile", []byte("FROM scratch\n")); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if code, _ := s.execLine(ctx, "cat Dockerfile && echo hi > sub/x 2>/dev/null || (mkdir sub && echo hi > sub/x)", "", false, nil, &out, io.Discard); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if got, want := out.String(), "FROM scratch\n"; got != want {
		t.Errorf("cat: got %q; want %q", got, want)
	}
	b, err := s.files.ReadFile(ctx, "sub/x")
	if err != nil || string(b) != "hi\n" {
		t.Errorf("ReadFile(sub/x) = %q, %v; want %q", b, err, "hi\n")
	}
}

func TestSleepCanceled(t *testing.T) {
	s := memSession()
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	start := time.Now()
	code, _ := s.execLine(ctx, "sleep 60", "", false, strings.NewReader(""), io.Discard, io.Discard)
	if code != 130 || time.Since(start) > 10*time.Second {
		t.Errorf("canceled sleep: exit %d after %v; want 130 at once", code, time.Since(start))
	}
}
