package cli

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/layerlab/layerlab/core/archive"
	"github.com/layerlab/layerlab/core/store"
)

type memFiles struct {
	created map[string]*bytes.Buffer
	fail    bool
}

type memWriter struct {
	*bytes.Buffer
	closed *bool
}

func (w memWriter) Close() error { *w.closed = true; return nil }

func (m *memFiles) Open(name string) (File, error) {
	return nil, errors.New("open " + name + ": not here")
}
func (m *memFiles) Create(name string) (io.WriteCloser, error) {
	if m.fail {
		return nil, errors.New("open " + name + ": permission denied")
	}
	b := &bytes.Buffer{}
	m.created[name] = b
	closed := false
	return memWriter{b, &closed}, nil
}

// TestSaveNames checks what `docker save` hands the archive writer: one SaveImage per image,
// in argument order, with the names given (normalized, tag defaulted) and none for IDs.
func TestSaveNames(t *testing.T) {
	ctx := context.Background()
	s := store.NewMemory()
	env := &Env{Store: s, Stdout: io.Discard, Stderr: io.Discard, Now: time.Now}
	for _, f := range []string{"../../testdata/golden/images/base.tar", "../../testdata/golden/images/all.tar"} {
		b := mustRead(t, f)
		env.Stdin = bytes.NewReader(b)
		if code := Run(ctx, env, []string{"load"}); code != 0 {
			t.Fatalf("load %s: exit %d", f, code)
		}
	}
	var got []archive.SaveImage
	old := saveArchive
	defer func() { saveArchive = old }()
	saveArchive = func(ctx context.Context, s store.Store, w io.Writer, ims []archive.SaveImage, _ time.Time) error {
		got = ims
		_, err := io.WriteString(w, "TAR")
		return err
	}
	var out bytes.Buffer
	env.Stdout = &out
	var errb bytes.Buffer
	env.Stderr = &errb
	files := &memFiles{created: map[string]*bytes.Buffer{}}
	env.Files = files
	if code := Run(ctx, env, []string{"save", "-o", "x.tar", "layerlab/app:1.0", "layerlab/base", "localhost:5000/team/app:v1"}); code != 0 {
		t.Fatalf("save: exit %d: %s", code, errb.String())
	}
	if files.created["x.tar"] == nil || files.created["x.tar"].String() != "TAR" {
		t.Errorf("save -o x.tar wrote %v; want the archive in x.tar", files.created)
	}
	var names []string
	for _, im := range got {
		names = append(names, strings.Join(im.Names, "+"))
	}
	want := "docker.io/layerlab/app:1.0+localhost:5000/team/app:v1|docker.io/layerlab/base:latest"
	if strings.Join(names, "|") != want {
		t.Errorf("names: got %q; want %q", strings.Join(names, "|"), want)
	}

	// by ID: the image is saved without a name, as docker saves it
	base := got[1].Manifest
	cat, err := loadCatalogForTest(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	id := cat.ByName("docker.io/layerlab/base:latest").ID
	if code := Run(ctx, env, []string{"save", "-o", "y.tar", id.Hex[:12]}); code != 0 {
		t.Fatalf("save by ID: exit %d: %s", code, errb.String())
	}
	if len(got) != 1 || len(got[0].Names) != 0 || got[0].Manifest.Digest != base.Digest {
		t.Errorf("save by ID: got %+v; want the base image without names", got)
	}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"save", "-o", "z.tar", "nosuch"}, "Error response from daemon: No such image: nosuch:latest\n"},
		{[]string{"save"}, "docker: 'docker save' requires at least 1 argument\n\nUsage:  docker save [OPTIONS] IMAGE [IMAGE...]\n\nSee 'docker save --help' for more information\n"},
	}
	for _, tc := range tests {
		errb.Reset()
		if code := Run(ctx, env, tc.args); code != 1 || errb.String() != tc.want {
			t.Errorf("docker %q: exit %d, stderr %q; want 1, %q", tc.args, code, errb.String(), tc.want)
		}
	}
	files.fail = true
	errb.Reset()
	if code := Run(ctx, env, []string{"save", "-o", "w.tar", "layerlab/base"}); code != 1 || !strings.HasPrefix(errb.String(), "failed to save image: open w.tar") {
		t.Errorf("save to an unwritable file: exit %d, stderr %q", code, errb.String())
	}
}
