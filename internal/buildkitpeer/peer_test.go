package buildkitpeer

import (
	"archive/tar"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// TestPeerBuilds starts the real BuildKit and builds a Dockerfile on the busybox base; the
// image must carry the base layer unchanged plus the COPY layer.
func TestPeerBuilds(t *testing.T) {
	p := StartT(t)
	ctxDir := t.TempDir()
	files := map[string]string{
		"Dockerfile": os.Getenv("BKPEER_DOCKERFILE"),
		"hello.txt":  "hello\n",
	}
	if files["Dockerfile"] == "" {
		files["Dockerfile"] = "FROM busybox\nCOPY hello.txt /hello.txt\n"
	}
	for n, c := range files {
		if err := os.WriteFile(filepath.Join(ctxDir, n), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res, err := p.Build(context.Background(), ctxDir, BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	layers, err := res.Image.Layers()
	if err != nil {
		t.Fatal(err)
	}
	baseLayers, _ := p.Base.Layers()
	if os.Getenv("BKPEER_DOCKERFILE") == "" && len(layers) != len(baseLayers)+1 {
		t.Fatalf("got %d layers; want %d", len(layers), len(baseLayers)+1)
	}
	bd, _ := baseLayers[0].DiffID()
	d, _ := layers[0].DiffID()
	if d != bd {
		t.Errorf("base layer diff_id: got %s; want %s", d, bd)
	}
	if os.Getenv("BKPEER_DUMP") == "" {
		return
	}
	raw, _ := res.Image.RawConfigFile()
	t.Logf("config: %s", raw)
	for i, l := range layers[1:] {
		os.Remove(filepath.Join(os.TempDir(), "bklayer.tar"))
		rc, _ := l.Uncompressed()
		tr := tar.NewReader(rc)
		for {
			h, err := tr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("layer %d: %q fmt=%v mode=%o uid=%d gid=%d u=%q g=%q mt=%v at=%v ct=%v pax=%v", i+1, h.Name, h.Format, h.Mode, h.Uid, h.Gid, h.Uname, h.Gname, h.ModTime.Unix(), h.AccessTime, h.ChangeTime, h.PAXRecords)
		}
		rc.Close()
		rc, _ = l.Uncompressed()
		b, _ := io.ReadAll(rc)
		os.WriteFile(filepath.Join(os.TempDir(), "bklayer.tar"), b, 0o644)
	}
}
