package fsys

import (
	"archive/tar"
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestWalkOrder(t *testing.T) {
	got := []string{"a.txt", "a/b", "a", "a-b", "a/b/c", "ab"}
	sortWalk(got)
	want := []string{"a", "a/b", "a/b/c", "a-b", "a.txt", "ab"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("got %q; want %q", got, want)
	}
}

func mkfs(t *testing.T) *FS {
	t.Helper()
	f := New()
	base := time.Unix(1000, 0)
	for _, d := range []string{"etc", "usr", "usr/bin", "tmp", "empty"} {
		if err := f.MkdirAll(d, 0o755, 0, 0, base); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Put("etc/passwd", &Node{Type: tar.TypeReg, Mode: 0o644, Data: []byte("root:x:0:0::/root:/bin/sh\n"), ModTime: base}); err != nil {
		t.Fatal(err)
	}
	if err := f.Put("usr/bin/sh", &Node{Type: tar.TypeSymlink, Mode: 0o777, Link: "/bin/busybox", ModTime: base}); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestDiff(t *testing.T) {
	base := mkfs(t)
	tests := []struct {
		name   string
		change func(f *FS)
		want   string
	}{
		{"add file in new dirs", func(f *FS) {
			f.MkdirAll("usr/src/app", 0o755, 0, 0, time.Unix(5, 0))
			f.Write("usr/src/app/x", &Node{Type: tar.TypeReg, Mode: 0o644, Data: []byte("x")}, time.Unix(5, 0))
		}, "M usr, A usr/src, A usr/src/app, A usr/src/app/x"},
		{"mtime-only change of a directory is no change", func(f *FS) {
			f.TouchNonEmptyDirs(time.Unix(99, 0))
		}, ""},
		{"chmod a directory", func(f *FS) {
			n := *f.Get("tmp")
			n.Mode = 0o1777
			f.Put("tmp", &n)
		}, "M tmp"},
		{"same content, new mtime second", func(f *FS) {
			n := *f.Get("etc/passwd")
			n.ModTime = time.Unix(2000, 0)
			f.Put("etc/passwd", &n)
		}, "M etc, M etc/passwd"},
		{"delete a subtree once", func(f *FS) { f.Remove("usr") }, "D usr"},
		{"delete a file", func(f *FS) { f.Remove("etc/passwd") }, "M etc, D etc/passwd"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			up := base.Clone()
			tc.change(up)
			var parts []string
			for _, c := range Diff(base, up) {
				parts = append(parts, c.Kind.String()+" "+c.Path)
			}
			if got := strings.Join(parts, ", "); got != tc.want {
				t.Errorf("got %q; want %q", got, tc.want)
			}
		})
	}
}

func TestWriteTarRoundTrip(t *testing.T) {
	base := mkfs(t)
	up := base.Clone()
	up.Write("etc/motd", &Node{Type: tar.TypeReg, Mode: 0o600, UID: 10, GID: 20, Data: []byte("hi\n"), ModTime: time.Unix(3000, 5)}, time.Unix(4000, 0))
	up.Remove("usr/bin/sh")
	epoch := time.Unix(2500, 0)
	var buf bytes.Buffer
	if err := WriteTar(&buf, Diff(base, up), &epoch); err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(&buf)
	var got []string
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		got = append(got, h.Name+" "+h.ModTime.UTC().Format(time.RFC3339)+" "+h.Format.String())
	}
	want := []string{
		"etc/ 1970-01-01T00:41:40Z USTAR",
		"etc/motd 1970-01-01T00:41:40Z USTAR",
		"usr/ 1970-01-01T00:16:40Z USTAR",
		"usr/bin/ 1970-01-01T00:16:40Z USTAR",
		"usr/bin/.wh.sh 1970-01-01T00:00:00Z USTAR",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Applying the layer to the lower snapshot gives the upper one back.
	again := base.Clone()
	buf.Reset()
	WriteTar(&buf, Diff(base, up), nil)
	if err := again.ApplyLayer(&buf); err != nil {
		t.Fatal(err)
	}
	if d := Diff(up, again); len(d) != 0 {
		t.Errorf("applying the diff: %d differences left, first %s %s", len(d), d[0].Kind, d[0].Path)
	}
}

func TestApplyLayerRejects(t *testing.T) {
	tests := []struct {
		name string
		hdr  tar.Header
		want string
	}{
		{"absolute path", tar.Header{Name: "/etc/x", Typeflag: tar.TypeReg}, "escapes the root"},
		{"dot-dot", tar.Header{Name: "a/../../x", Typeflag: tar.TypeReg}, "escapes the root"},
		{"dangling hard link", tar.Header{Name: "x", Typeflag: tar.TypeLink, Linkname: "nope"}, "hard link to missing"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			tw := tar.NewWriter(&buf)
			tw.WriteHeader(&tc.hdr)
			tw.Close()
			err := New().ApplyLayer(&buf)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v; want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestResolve(t *testing.T) {
	f := mkfs(t)
	f.Put("lnk", &Node{Type: tar.TypeSymlink, Link: "usr/bin"})
	f.Put("up", &Node{Type: tar.TypeSymlink, Link: "../../../etc"})
	f.Put("loop", &Node{Type: tar.TypeSymlink, Link: "loop"})
	tests := []struct{ in, want string }{
		{"/lnk/sh", "usr/bin/sh"},
		{"up/passwd", "etc/passwd"},
		{"/usr/./bin/../bin", "usr/bin"},
	}
	for _, tc := range tests {
		got, err := f.Resolve(tc.in, false)
		if err != nil || got != tc.want {
			t.Errorf("Resolve(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	if _, err := f.Resolve("loop/x", true); err == nil {
		t.Error("a symlink loop resolved; want an error")
	}
}

// FuzzApplyLayer feeds arbitrary bytes as a layer: errors are fine, panics are not, and a
// layer that applies can be diffed and written back.
func FuzzApplyLayer(f *testing.F) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: "a/", Typeflag: tar.TypeDir, Mode: 0o755})
	tw.WriteHeader(&tar.Header{Name: "a/b", Typeflag: tar.TypeReg, Mode: 0o644, Size: 1})
	tw.Write([]byte("x"))
	tw.WriteHeader(&tar.Header{Name: "a/.wh.c", Typeflag: tar.TypeReg})
	tw.WriteHeader(&tar.Header{Name: "a/.wh..wh..opq", Typeflag: tar.TypeReg})
	tw.WriteHeader(&tar.Header{Name: "l", Typeflag: tar.TypeLink, Linkname: "a/b"})
	tw.Close()
	f.Add(buf.Bytes())
	f.Add([]byte("garbage"))
	f.Fuzz(func(t *testing.T, b []byte) {
		fs := New()
		if err := fs.ApplyLayer(bytes.NewReader(b)); err != nil {
			return
		}
		var out bytes.Buffer
		if err := WriteTar(&out, Diff(New(), fs), nil); err != nil {
			t.Fatalf("writing back an applied layer: %v", err)
		}
	})
}
