package shell_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"testing"
	"time"

	"github.com/layerlab/layerlab/core/fsys"
	"github.com/layerlab/layerlab/core/shell"
)

// FuzzTarExtract feeds any bytes to tar x (with and without gzip): an archive from a build
// context or an image is untrusted. It must end with an exit status, never a panic, and
// never write outside the directory it extracts to.
func FuzzTarExtract(f *testing.F) {
	var plain, zipped bytes.Buffer
	tw := tar.NewWriter(&plain)
	tw.WriteHeader(&tar.Header{Name: "d/", Typeflag: tar.TypeDir, Mode: 0o755})
	tw.WriteHeader(&tar.Header{Name: "d/f", Typeflag: tar.TypeReg, Mode: 0o644, Size: 2})
	tw.Write([]byte("hi"))
	tw.WriteHeader(&tar.Header{Name: "d/l", Typeflag: tar.TypeSymlink, Linkname: "f"})
	tw.WriteHeader(&tar.Header{Name: "d/h", Typeflag: tar.TypeLink, Linkname: "d/f"})
	tw.WriteHeader(&tar.Header{Name: "../escape", Typeflag: tar.TypeReg, Mode: 0o644})
	tw.WriteHeader(&tar.Header{Name: "/abs", Typeflag: tar.TypeReg, Mode: 0o644})
	tw.Close()
	zw := gzip.NewWriter(&zipped)
	zw.Write(plain.Bytes())
	zw.Close()
	f.Add(plain.Bytes())
	f.Add(zipped.Bytes())
	f.Add([]byte{0x1f, 0x8b, 8, 0})
	f.Add([]byte("not a tar"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fs := fsys.New()
		fs.MkdirAll("out", 0o755, 0, 0, time.Time{})
		fs.MkdirAll("bin", 0o755, 0, 0, time.Time{})
		fs.Put("in.tar", &fsys.Node{Type: tar.TypeReg, Mode: 0o644, Data: data})
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		sh := shell.New(shell.NewImageFS(fs, 0, 0, time.Unix(0, 0)), shell.Config{Flavour: shell.Coreutils, Dir: "/", MaxWrite: 64 << 20})
		sh.Exec(ctx, []string{"/bin/sh", "-c", "tar xf /in.tar -C /out"})
		for _, p := range fs.Paths() {
			if p != "in.tar" && p != "bin" && p != "out" && !bytes.HasPrefix([]byte(p), []byte("out/")) {
				t.Fatalf("tar wrote %s outside /out", p)
			}
		}
	})
}
