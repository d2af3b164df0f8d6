package share_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"math/rand"
	"path"
	"reflect"
	"strings"
	"testing"

	"github.com/klauspost/compress/flate"

	"github.com/layerlab/layerlab/core/share"
	"github.com/layerlab/layerlab/core/term"
)

var nodeApp = share.Link{
	Lesson: "08-assignment-node-app",
	Step:   1,
	Files: []share.File{
		{Path: "Dockerfile", Data: []byte("FROM node:6-alpine\nEXPOSE 3000\nRUN apk add --no-cache tini\nWORKDIR /usr/src/app\nCOPY package.json package.json\nRUN npm install && npm cache clean --force\nCOPY . .\nCMD [\"/sbin/tini\", \"--\", \"node\", \"index.js\"]\n")},
		{Path: "index.js", Data: []byte("const http = require(\"http\");\nhttp.createServer((q, s) => s.end(\"hi\\n\")).listen(3000);\n")},
		{Path: "package.json", Data: []byte("{\n  \"name\": \"app\",\n  \"version\": \"1.0.0\"\n}\n")},
		{Path: "src/static/logo.txt", Data: []byte{0, 1, 2, 255}},
		{Path: "empty", Data: []byte{}},
	},
}

func TestRoundTrip(t *testing.T) {
	for _, l := range []share.Link{nodeApp, {}, {Files: []share.File{{Path: "Dockerfile", Data: []byte("FROM scratch\n")}}}, {Lesson: "x", Step: 0}} {
		frag, err := share.Encode(l)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(frag, share.Prefix) || strings.ContainsAny(frag[len(share.Prefix):], "+/=#&?") {
			t.Errorf("fragment %q is not build= and base64url", frag)
		}
		for _, in := range []string{frag, "#" + frag} {
			got, err := share.Decode(in)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Files) == 0 {
				got.Files = nil
			}
			want := l
			if len(want.Files) == 0 {
				want.Files = nil
			}
			for i := range got.Files {
				if len(got.Files[i].Data) == 0 {
					got.Files[i].Data = []byte{}
				}
			}
			sortFiles(want.Files)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("round trip: got %+v; want %+v", got, want)
			}
		}
	}
	frag, _ := share.Encode(nodeApp)
	t.Logf("the assignment's workspace (%d bytes of files) is a %d-character link", 0+len(nodeApp.Files[0].Data)+len(nodeApp.Files[1].Data)+len(nodeApp.Files[2].Data)+4, len(frag))
}

func sortFiles(f []share.File) {
	for i := range f {
		for j := i + 1; j < len(f); j++ {
			if f[j].Path < f[i].Path {
				f[i], f[j] = f[j], f[i]
			}
		}
	}
}

func TestEncodeTooLarge(t *testing.T) {
	data := make([]byte, 64<<10)
	rand.New(rand.NewSource(1)).Read(data) // incompressible
	_, err := share.Encode(share.Link{Files: []share.File{{Path: "big.bin", Data: data}}})
	var tl *share.TooLargeError
	if !errors.As(err, &tl) || tl.Limit != share.MaxFragment {
		t.Fatalf("got %v; want a TooLargeError", err)
	}
	if want := "links are limited to 16384 (16 KiB): download the workspace as a file instead"; !strings.Contains(err.Error(), want) {
		t.Errorf("got %q; want it to say %q", err, want)
	}
	_, err = share.Encode(share.Link{Files: []share.File{{Path: "zeros", Data: make([]byte, share.MaxContent+1)}}})
	if err == nil || !strings.Contains(err.Error(), "download the workspace as a file instead") {
		t.Errorf("more than MaxContent: got %v", err)
	}
}

// raw builds a fragment around a hand-made body, as a hostile link would.
func raw(version byte, body []byte) string {
	var buf bytes.Buffer
	buf.WriteByte(version)
	w, _ := flate.NewWriter(&buf, flate.BestCompression)
	w.Write(body)
	w.Close()
	return share.Prefix + base64.RawURLEncoding.EncodeToString(buf.Bytes())
}

func body(lesson string, step uint64, files ...string) []byte {
	var b []byte
	b = binary.AppendUvarint(b, uint64(len(lesson)))
	b = append(b, lesson...)
	b = binary.AppendUvarint(b, step)
	b = binary.AppendUvarint(b, uint64(len(files)/2))
	for _, s := range files {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return b
}

func TestDecodeRefuses(t *testing.T) {
	// lesson "", no step, one file "a" whose content claims 8 MiB
	bomb := raw(1, append([]byte{0, 0, 1, 1, 'a'}, binary.AppendUvarint(nil, 8<<20)...))
	zeros := func() string {
		var buf bytes.Buffer
		buf.WriteByte(1)
		w, _ := flate.NewWriter(&buf, flate.BestCompression)
		w.Write(make([]byte, 4<<20)) // 4 MiB of zeros: a few KiB compressed
		w.Close()
		return share.Prefix + base64.RawURLEncoding.EncodeToString(buf.Bytes())
	}()
	tests := []struct{ name, in, want string }{
		{"empty", "", `does not start with "build="`},
		{"other fragment", "#section-2", `does not start with "build="`},
		{"not base64", "build=!!!", "not base64url"},
		{"no data", "build=", "it is empty"},
		{"future version", raw(2, body("", 0)), "format version 2; this playground reads version 1"},
		{"not deflate", share.Prefix + base64.RawURLEncoding.EncodeToString([]byte{1, 0xff, 0xff, 0xff}), "damaged"},
		{"too long", "build=" + strings.Repeat("A", share.MaxFragment), "characters long"},
		{"decompression bomb", zeros, "unpacks to more than"},
		{"content length bomb", bomb, "a file's content is 8388608 bytes"},
		{"truncated", raw(1, body("", 0, "a", "b")[:5]), "ends early"},
		{"trailing", raw(1, append(body("", 0, "a", "b"), 0)), "1 bytes after its last file"},
		{"absolute", raw(1, body("", 0, "/etc/passwd", "x")), `path "/etc/passwd" is absolute`},
		{"dotdot", raw(1, body("", 0, "a/../../x", "x")), "leaves the workspace"},
		{"dotdot alone", raw(1, body("", 0, "..", "x")), "leaves the workspace"},
		{"unclean", raw(1, body("", 0, "./a", "x")), "is not clean"},
		{"backslash", raw(1, body("", 0, `a\b`, "x")), "backslash"},
		{"control", raw(1, body("", 0, "a\x1b[31m", "x")), "control or unprintable"},
		{"nul", raw(1, body("", 0, "a\x00", "x")), "control or unprintable"},
		{"not utf8", raw(1, body("", 0, "a\xff", "x")), "not UTF-8"},
		{"duplicate", raw(1, body("", 0, "a", "x", "a", "y")), `"a" is there twice`},
		{"file and folder", raw(1, body("", 0, "a", "x", "a/b", "y")), `"a" is a file`},
		{"empty path", raw(1, body("", 0, "", "x")), "empty path"},
		{"too many files", raw(1, []byte{0, 0, 0xff, 0x0f}), "holds 2047 files"},
		{"step without lesson", raw(1, body("", 3)), "step without a lesson"},
		{"lesson without step", raw(1, body("x", 0)), "out of range"},
		{"step too large", raw(1, body("x", 5000)), "out of range"},
		{"bad lesson id", raw(1, body("<script>", 1)), "only letters, digits"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := share.Decode(tc.in)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "opening the build link: ") {
				t.Errorf("got %v; want an error with %q", err, tc.want)
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	good, _ := share.Encode(nodeApp)
	f.Add(good)
	f.Add(raw(1, body("l", 2, "a/b", "c", "d", "")))
	f.Add(raw(1, body("", 0, "../x", "")))
	f.Add("build=AQ")
	f.Fuzz(func(t *testing.T, s string) {
		l, err := share.Decode(s)
		if err != nil {
			return
		}
		total := 0
		for _, fl := range l.Files {
			if err := share.CheckPath(fl.Path); err != nil {
				t.Fatalf("decoded an unsafe path: %v", err)
			}
			total += len(fl.Data)
		}
		if total > share.MaxContent || len(l.Files) > share.MaxFiles {
			t.Fatalf("decoded %d files, %d bytes: over the limits", len(l.Files), total)
		}
		// what decodes re-encodes to a link that decodes to the same thing
		again, err := share.Encode(l)
		if err != nil {
			t.Fatalf("re-encoding a decoded link: %v", err)
		}
		l2, err := share.Decode(again)
		if err != nil || !reflect.DeepEqual(norm(l), norm(l2)) {
			t.Fatalf("re-encoded link: got %+v, %v; want %+v", l2, err, l)
		}
	})
}

func norm(l share.Link) share.Link {
	if len(l.Files) == 0 {
		l.Files = nil
	}
	for i := range l.Files {
		if len(l.Files[i].Data) == 0 {
			l.Files[i].Data = nil
		}
	}
	return l
}

func TestCollect(t *testing.T) {
	ctx := context.Background()
	fsys := term.NewMemFS(term.Workspace, term.Home)
	for p, c := range map[string]string{"Dockerfile": "FROM scratch\n", "src/a/b.txt": "b", "src/c.txt": ""} {
		fsys.Mkdir(ctx, path.Dir(term.Workspace+"/"+p))
		w, _ := fsys.Create(ctx, term.Workspace+"/"+p)
		w.Write([]byte(c))
		w.Close()
	}
	w, _ := fsys.Create(ctx, term.Home+"/.docker/config.json")
	w.Write([]byte("{}"))
	w.Close()
	files, err := share.Collect(ctx, fsys, term.Workspace)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range files {
		got = append(got, f.Path+"="+string(f.Data))
	}
	if want := "Dockerfile=FROM scratch\n|src/a/b.txt=b|src/c.txt="; strings.Join(got, "|") != want {
		t.Errorf("got %q; want %q", strings.Join(got, "|"), want)
	}
	big, _ := fsys.Create(ctx, term.Workspace+"/image.tar")
	big.Write(make([]byte, share.MaxContent))
	big.Close()
	if _, err := share.Collect(ctx, fsys, term.Workspace); err == nil || !strings.Contains(err.Error(), "image.tar is 1048576 bytes") || !strings.Contains(err.Error(), "download the workspace as a file instead") {
		t.Errorf("a workspace too large for a link: got %v", err)
	}
}
