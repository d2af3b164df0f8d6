package layer

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/layerlab/layerlab/core/store"
)

type entry struct {
	name, link string
	typ        byte
	body       string
}

func mkTar(t testing.TB, es []entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range es {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Linkname: e.link, Mode: 0o644, Size: int64(len(e.body))}
		if e.typ != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if e.typ == tar.TypeReg {
			tw.Write([]byte(e.body))
		}
	}
	tw.Close()
	return buf.Bytes()
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func TestSize(t *testing.T) {
	tests := []struct {
		name    string
		entries []entry
		want    int64
	}{
		{"empty", nil, 0},
		{"directories count nothing", []entry{{name: "a/", typ: tar.TypeDir}, {name: "a/b/", typ: tar.TypeDir}}, 0},
		{"regular files", []entry{{name: "a", typ: tar.TypeReg, body: "hello"}, {name: "b", typ: tar.TypeReg, body: "xy"}}, 7},
		{"symlink counts its target", []entry{{name: "bin/sh", typ: tar.TypeSymlink, link: "/bin/busybox"}}, 12},
		{"hard link counted once", []entry{{name: "hi.txt", typ: tar.TypeReg, body: "hello world\n"}, {name: "hard.txt", typ: tar.TypeLink, link: "hi.txt"}}, 12},
		{"whiteouts are zero", []entry{{name: "etc/.wh.group", typ: tar.TypeReg}, {name: "root/.wh..wh..opq", typ: tar.TypeReg}}, 0},
		{"a replaced entry counts once", []entry{{name: "a", typ: tar.TypeReg, body: "12345"}, {name: "./a", typ: tar.TypeReg, body: "1"}}, 1},
		{"devices and fifos", []entry{{name: "dev/null", typ: tar.TypeChar}, {name: "p", typ: tar.TypeFifo}}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := mkTar(t, tc.entries)
			for _, form := range []struct {
				name string
				b    []byte
			}{{"plain", b}, {"gzip", gz(b)}} {
				got, err := Size(bytes.NewReader(form.b))
				if err != nil {
					t.Fatalf("%s: %v", form.name, err)
				}
				if got != tc.want {
					t.Errorf("%s: got %d; want %d", form.name, got, tc.want)
				}
			}
		})
	}
}

func TestSizeRefusesGarbage(t *testing.T) {
	for _, b := range [][]byte{[]byte("not a tar at all, just some words to fill a block"), {0x1f, 0x8b, 0, 1, 2}, mkTar(t, []entry{{name: "a", typ: tar.TypeReg, body: "abcdef"}})[:514]} {
		if _, err := Size(bytes.NewReader(b)); err == nil {
			t.Errorf("Size(%q...) = nil error; want one", b[:5])
		}
	}
}

// TestSizeMatchesEngine checks Size against the sizes the real Engine 20.10 reported for the
// layers of the recorded images (testdata/golden, recorded by scripts/record-golden): the
// RootFS layers of `docker image inspect` and the sizes `docker history -H=false` printed.
func TestSizeMatchesEngine(t *testing.T) {
	f, err := os.ReadFile("../../testdata/golden/images/all.tar")
	if err != nil {
		t.Fatal(err)
	}
	layers := map[string]int64{} // diff_id -> Size
	tr := tar.NewReader(bytes.NewReader(f))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if path.Base(h.Name) != "layer.tar" {
			continue
		}
		b, _ := io.ReadAll(tr)
		d, _, _ := v1.SHA256(bytes.NewReader(b))
		n, err := Size(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		layers[d.String()] = n
	}
	// The recorded inspect documents give each image's layers and total Size.
	for _, c := range []string{"039-inspect-layerlab-app-1.0", "040-inspect-layerlab-longrun", "038-inspect-layerlab-base"} {
		b, err := os.ReadFile("../../testdata/golden/" + c + "/stdout")
		if err != nil {
			t.Fatal(err)
		}
		var docs []struct {
			Size   int64
			RootFS struct{ Layers []string }
		}
		if err := json.Unmarshal(b, &docs); err != nil {
			t.Fatal(err)
		}
		var sum int64
		for _, l := range docs[0].RootFS.Layers {
			n, ok := layers[l]
			if !ok {
				t.Fatalf("%s: layer %s not in all.tar", c, l)
			}
			sum += n
		}
		if sum != docs[0].Size {
			t.Errorf("%s: sum of layer sizes got %d; want %d (engine)", c, sum, docs[0].Size)
		}
	}
	// history -H=false printed the per-layer sizes of app:1.0
	b, err := os.ReadFile("../../testdata/golden/028-history-human-false/stdout")
	if err != nil {
		t.Fatal(err)
	}
	want := map[int64]bool{}
	for _, line := range strings.Split(string(b), "\n")[1:] {
		fs := strings.Fields(line)
		if len(fs) > 3 {
			var n int64
			for _, f := range fs {
				if x, err := parseInt(f); err == nil {
					n = x
				}
			}
			want[n] = true
		}
	}
	for _, n := range []int64{71698, 1985581} {
		if !want[n] {
			t.Errorf("recorded history lacks size %d", n)
		}
	}
}

func parseInt(s string) (int64, error) {
	var n int64
	if s == "" {
		return 0, errors.New("empty")
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, errors.New("not a number")
		}
		n = n*10 + int64(c-'0')
	}
	return n, nil
}

func TestDiffSizeCaches(t *testing.T) {
	ctx := context.Background()
	s := store.NewMemory()
	b := mkTar(t, []entry{{name: "a", typ: tar.TypeReg, body: "hello"}})
	d, err := store.PutBytes(ctx, s, b)
	if err != nil {
		t.Fatal(err)
	}
	n, err := DiffSize(ctx, s, d, d)
	if err != nil || n != 5 {
		t.Fatalf("DiffSize = %d, %v; want 5, nil", n, err)
	}
	rec, err := s.Record(ctx, RecordKind, d.String())
	if err != nil || string(rec) != "5" {
		t.Fatalf("record = %q, %v; want \"5\"", rec, err)
	}
	// the cached value is what is returned, without reading the blob again
	if err := s.PutRecord(ctx, RecordKind, d.String(), []byte("42")); err != nil {
		t.Fatal(err)
	}
	if n, _ := DiffSize(ctx, s, d, d); n != 42 {
		t.Errorf("DiffSize after caching: got %d; want 42", n)
	}
	// a damaged record is recomputed
	s.PutRecord(ctx, RecordKind, d.String(), []byte("garbage"))
	if n, _ := DiffSize(ctx, s, d, d); n != 5 {
		t.Errorf("DiffSize with a damaged record: got %d; want 5", n)
	}
	// a missing blob is an error naming it
	missing := v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("0", 64)}
	if _, err := DiffSize(ctx, s, missing, missing); err == nil || !strings.Contains(err.Error(), missing.Hex) {
		t.Errorf("DiffSize of a missing blob: got %v; want an error naming it", err)
	}
}

func FuzzSize(f *testing.F) {
	f.Add(mkTar(f, []entry{{name: "a", typ: tar.TypeReg, body: "hello"}, {name: "b", typ: tar.TypeLink, link: "a"}}))
	f.Add(gz(mkTar(f, []entry{{name: "s", typ: tar.TypeSymlink, link: "/x"}})))
	f.Add([]byte{0x1f, 0x8b})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := Size(bytes.NewReader(b))
		if err == nil && n < 0 {
			t.Errorf("Size = %d; a size is never negative", n)
		}
	})
}

// DigestAndSize hashes every byte (the end-of-archive blocks and padding after them too) and
// gives Size's answer, in one pass; content that is no tar still gets its digest, with size -1.
func TestDigestAndSize(t *testing.T) {
	tarball := append(mkTar(t, []entry{{name: "a", typ: tar.TypeReg, body: "hello"}, {name: "bin/sh", typ: tar.TypeSymlink, link: "/bin/busybox"}}), make([]byte, 1024)...)
	for _, tc := range []struct {
		name string
		b    []byte
		size int64
	}{
		{"a tar with padding after its end", tarball, 17},
		{"no tar", []byte("not a tar at all, just some words to fill a block"), -1},
	} {
		d, n, err := DigestAndSize(bytes.NewReader(tc.b))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		sum := sha256.Sum256(tc.b)
		if want := "sha256:" + hex.EncodeToString(sum[:]); d.String() != want || n != tc.size {
			t.Errorf("%s: got %s, size %d; want %s, size %d", tc.name, d, n, want, tc.size)
		}
	}
}

// Remember's record is what DiffSize answers, without reading the blob (here: absent).
func TestRemember(t *testing.T) {
	ctx := context.Background()
	s := store.NewMemory()
	diffID := v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("ab", 32)}
	absent := v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("cd", 32)}
	if err := Remember(ctx, s, diffID, -1); err != nil {
		t.Fatal(err)
	}
	if _, err := DiffSize(ctx, s, diffID, absent); err == nil {
		t.Fatal("an unknown size (-1) was remembered")
	}
	if err := Remember(ctx, s, diffID, 4242); err != nil {
		t.Fatal(err)
	}
	if n, err := DiffSize(ctx, s, diffID, absent); err != nil || n != 4242 {
		t.Errorf("DiffSize after Remember = %d, %v; want 4242", n, err)
	}
}
