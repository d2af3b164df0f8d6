package shell_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"testing"
)

// TestArchives: tar and gzip as busybox's, natively (the conformance case run-archive
// checks the resulting files against real BuildKit).
func TestArchives(t *testing.T) {
	tests := []struct {
		name, script, out string
		code              int
		files             map[string]string
		nodes             map[string]node
	}{
		{name: "tar czf and xzf -C", script: "mkdir -p /d/s && echo a > /d/a && echo b > /d/s/b && chmod 600 /d/s/b && cd / && tar czf out.tgz d && mkdir /x && tar xzf out.tgz -C /x && cat /x/d/a /x/d/s/b",
			out: "a\nb\n", nodes: map[string]node{"/x/d/s/b": {0o600, 0, 0, tar.TypeReg}, "/x/d/s": {0o755, 0, 0, tar.TypeDir}}},
		{name: "tar tvf", script: "tar cf /t.tar -C / etc/group && tar tvf /t.tar",
			out: "-rw-r--r-- root/root        27 2024-01-02 03:04:05 etc/group\n"},
		{name: "tar absolute names", script: "tar cf /t.tar /etc/group && tar tf /t.tar",
			out: "tar: removing leading '/' from member names\netc/group\n"},
		{name: "tar -v lists what it extracts", script: "tar cf - -C / etc/passwd | tar xvf - -C /tmp", out: "etc/passwd\n"},
		{name: "tar x keeps links for the end", script: "mkdir /l && cd /l && echo x > f && ln -s f s && ln f h && tar cf /l.tar . && mkdir /m && tar xf /l.tar -C /m && find /m -type l; cat /m/h",
			out: "/m/s\nx\n", nodes: map[string]node{"/m/s": {0o777, 0, 0, tar.TypeSymlink}}},
		{name: "tar stores a second name as a hard link", script: "cd / && echo x > f && ln f h && tar cf - f h | tar tvf -",
			out: "-rw-r--r-- root/root         2 2026-11-22 05:00:00 f\n-rw-r--r-- root/root         0 2026-11-22 05:00:00 h -> f\n"},
		{name: "tar needs a mode", script: "tar f x.tar", out: "tar: exactly one of 'c', 'x' or 't' must be specified\n", code: 1},
		{name: "tar missing archive", script: "tar xf /nope.tar", out: "tar: can't open '/nope.tar': No such file or directory\n", code: 1},
		{name: "gzip replaces the file", script: "echo hi > /f && chmod 640 /f && gzip /f && ls /f*",
			out: "/f.gz\n", nodes: map[string]node{"/f.gz": {0o640, 0, 0, tar.TypeReg}}},
		{name: "gunzip -k keeps the .gz", script: "echo hi > /f && gzip /f && gunzip -k /f.gz && cat /f && ls /f*", out: "hi\n/f\n/f.gz\n"},
		{name: "gunzip without -f", script: "echo hi > /f && gzip -k /f && gunzip /f.gz", out: "gunzip: can't open '/f': File exists\n", code: 1},
		{name: "gzip -d -f", script: "echo hi > /f && gzip -k /f && echo old > /f && gzip -d -f /f.gz && cat /f", out: "hi\n"},
		{name: "gzip -c and gunzip -c", script: "echo hi | gzip -c | gunzip -c", out: "hi\n"},
		{name: "gunzip of plain text", script: "echo hi | gunzip", out: "gunzip: invalid magic\n", code: 1},
		{name: "gzip .gz", script: "echo hi > /f.gz && gzip /f.gz", out: "gzip: /f.gz: already has .gz suffix -- unchanged\n", code: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := baseFS(t, nil)
			out, code := run(t, f, 0, tc.script)
			if out != tc.out {
				t.Errorf("output: got %q; want %q", out, tc.out)
			}
			if code != tc.code {
				t.Errorf("exit: got %d; want %d", code, tc.code)
			}
			for p, want := range tc.nodes {
				if got := stat(f, p); got != want {
					t.Errorf("%s: got %+v; want %+v", p, got, want)
				}
			}
		})
	}
}

// TestGzipHeader: busybox writes the source's mtime and Unix as the OS when gzipping a file.
func TestGzipHeader(t *testing.T) {
	f := baseFS(t, nil)
	if out, code := run(t, f, 0, "cp -p /etc/group /g && gzip /g"); code != 0 {
		t.Fatalf("gzip: %d %s", code, out)
	}
	zr, err := gzip.NewReader(bytes.NewReader(f.Get("g.gz").Data))
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(zr)
	if got, want := string(data), file(f, "/etc/group"); got != want {
		t.Errorf("content: got %q; want %q", got, want)
	}
	if got, want := zr.ModTime.Unix(), int64(1704164645); got != want {
		t.Errorf("mtime: got %d; want %d", got, want)
	}
	if zr.OS != 3 {
		t.Errorf("OS: got %d; want 3", zr.OS)
	}
}
