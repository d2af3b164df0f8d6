//go:build unix

package layout

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/layerlab/layerlab/core/store"
)

// The tests below re-execute this test binary as writer processes: LAYERLAB_CRASH_WRITER
// selects what the child does (see runWriter) instead of running tests.
func TestMain(m *testing.M) {
	if mode := os.Getenv("LAYERLAB_CRASH_WRITER"); mode != "" {
		if err := runWriter(mode, os.Getenv("LAYERLAB_STORE"), os.Getenv("LAYERLAB_ARG")); err != nil {
			fmt.Fprintln(os.Stderr, "writer:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// randomImage stores an image of 1-3 random layers and returns its manifest descriptor.
func randomImage(ctx context.Context, s store.Store, r *rand.Rand) (v1.Descriptor, error) {
	var layers []v1.Descriptor
	for range 1 + r.IntN(3) {
		b := make([]byte, r.IntN(96<<10))
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		d, err := store.PutBytes(ctx, s, b)
		if err != nil {
			return v1.Descriptor{}, err
		}
		layers = append(layers, v1.Descriptor{MediaType: types.OCILayer, Digest: d, Size: int64(len(b))})
	}
	cfg := fmt.Appendf(nil, `{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"config":{"Labels":{"n":"%d"}}}`, r.Uint64())
	cd, err := store.PutBytes(ctx, s, cfg)
	if err != nil {
		return v1.Descriptor{}, err
	}
	m, err := json.Marshal(v1.Manifest{SchemaVersion: 2, MediaType: types.OCIManifestSchema1,
		Config: v1.Descriptor{MediaType: types.OCIConfigJSON, Digest: cd, Size: int64(len(cfg))}, Layers: layers})
	if err != nil {
		return v1.Descriptor{}, err
	}
	md, err := store.PutBytes(ctx, s, m)
	if err != nil {
		return v1.Descriptor{}, err
	}
	return v1.Descriptor{MediaType: types.OCIManifestSchema1, Digest: md, Size: int64(len(m))}, nil
}

// runWriter is the child process's work.
//
//	crash: write images and move tags forever (untagging, collecting garbage, writing
//	       records) until killed; prints "ready" once the store is open.
//	tags:  tag ARG:0 .. ARG:39, one UpdateIndex each, each a new image.
func runWriter(mode, dir, arg string) error {
	ctx := context.Background()
	s, err := Open(dir)
	if err != nil {
		return err
	}
	r := rand.New(rand.NewPCG(uint64(os.Getpid()), uint64(time.Now().UnixNano())))
	switch mode {
	case "crash":
		fmt.Println("ready")
		for i := 0; ; i++ {
			img, err := randomImage(ctx, s, r)
			if err != nil {
				return err
			}
			name := fmt.Sprintf("docker.io/library/crash:%d", r.IntN(6))
			err = s.UpdateIndex(ctx, func(cur []store.Entry) ([]store.Entry, error) {
				var out []store.Entry
				for _, e := range cur {
					if e.Name == name {
						out = append(out, store.Entry{Descriptor: e.Descriptor}) // the old image goes dangling
					} else {
						out = append(out, e)
					}
				}
				d := img
				d.Annotations = map[string]string{"io.layerlab.last-tag-time": time.Now().UTC().Format(time.RFC3339Nano)}
				return append(out, store.Entry{Name: name, Descriptor: d}), nil
			})
			if err != nil {
				return err
			}
			if err := s.PutRecord(ctx, "buildcache", fmt.Sprintf("step/%d", r.IntN(10)), []byte(img.Digest.String())); err != nil {
				return err
			}
			if i%4 == 3 {
				if err := prune(ctx, s); err != nil {
					return err
				}
			}
		}
	case "tags":
		fmt.Println("ready")
		// Wait for the word, so that both writers start together.
		if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
			return err
		}
		for i := range 40 {
			img, err := randomImage(ctx, s, r)
			if err != nil {
				return err
			}
			name := fmt.Sprintf("%s:%d", arg, i)
			if err := s.UpdateIndex(ctx, func(cur []store.Entry) ([]store.Entry, error) {
				return append(cur, store.Entry{Name: name, Descriptor: img}), nil
			}); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("unknown mode %q", mode)
}

// prune drops untagged images and deletes every blob no entry reaches, as `image prune` will.
func prune(ctx context.Context, s *Store) error {
	if err := s.UpdateIndex(ctx, func(cur []store.Entry) ([]store.Entry, error) {
		var out []store.Entry
		for _, e := range cur {
			if e.Name != "" {
				out = append(out, e)
			}
		}
		return out, nil
	}); err != nil {
		return err
	}
	entries, err := s.Index(ctx)
	if err != nil {
		return err
	}
	keep := map[v1.Hash]bool{}
	for _, e := range entries {
		c, err := store.Closure(ctx, s, e.Descriptor)
		if err != nil {
			return err
		}
		for _, d := range c {
			keep[d] = true
		}
	}
	all, err := s.Blobs(ctx)
	if err != nil {
		return err
	}
	for _, d := range all {
		if !keep[d] {
			if err := s.DeleteBlob(ctx, d); err != nil {
				return err
			}
		}
	}
	return nil
}

// startWriter starts this test binary as a writer and waits until it has opened the store.
func startWriter(t *testing.T, mode, dir, arg string) (*exec.Cmd, io.WriteCloser) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "LAYERLAB_CRASH_WRITER="+mode, "LAYERLAB_STORE="+dir, "LAYERLAB_ARG="+arg)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting writer process: %v", err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "ready\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("writer process said %q, %v; want \"ready\"", line, err)
	}
	return cmd, in
}

// verifyStore reopens dir and checks everything a killed writer may have left: index.json
// parses, each entry's whole closure is present and verifies, every file in blobs/sha256 is
// a complete, verified blob, and no temporary file is left behind or taken for a blob.
func verifyStore(t *testing.T, dir string) (tags int) {
	t.Helper()
	ctx := context.Background()
	raw, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil {
		t.Fatalf("reading index.json: %v", err)
	}
	if _, err := v1.ParseIndexManifest(strings.NewReader(string(raw))); err != nil {
		t.Fatalf("index.json does not parse: %v\n%s", err, raw)
	}
	s, err := Open(dir)
	if err != nil {
		t.Fatalf("reopening after kill: %v", err)
	}
	entries, err := s.Index(ctx)
	if err != nil {
		t.Fatalf("Index: %v", err)
	}
	for _, e := range entries {
		c, err := store.Closure(ctx, s, e.Descriptor)
		if err != nil {
			t.Errorf("entry %q %s: %v", e.Name, e.Descriptor.Digest, err)
			continue
		}
		for _, d := range c {
			if _, err := store.ReadBlob(ctx, s, d); err != nil {
				t.Errorf("entry %q: blob %s: %v", e.Name, d, err)
			}
		}
		if e.Name != "" {
			tags++
		}
	}
	files, err := os.ReadDir(filepath.Join(dir, "blobs", "sha256"))
	if err != nil {
		t.Fatal(err)
	}
	blobs, err := s.Blobs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(blobs) != len(files) {
		t.Errorf("blobs/sha256 holds %d files but Blobs lists %d: something other than blobs is there", len(files), len(blobs))
	}
	for _, d := range blobs {
		if _, err := store.ReadBlob(ctx, s, d); err != nil {
			t.Errorf("blob file %s is not a complete blob: %v", d, err)
		}
	}
	litter, _ := os.ReadDir(filepath.Join(dir, "layerlab", "tmp"))
	for _, f := range litter {
		t.Errorf("temporary file %s of a dead writer survived Open", f.Name())
	}
	return tags
}

// TestCrashSafety kills a writer at random points, over and over, and checks after each kill
// that the store is whole.
func TestCrashSafety(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	r := rand.New(rand.NewPCG(1, uint64(time.Now().UnixNano())))
	const kills = 24
	maxTags := 0
	for k := range kills {
		cmd, _ := startWriter(t, "crash", dir, "")
		time.Sleep(time.Duration(r.IntN(120)) * time.Millisecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatalf("kill %d: %v", k, err)
		}
		err := cmd.Wait()
		ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
		if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
			t.Fatalf("kill %d: writer ended with %v before it was killed", k, err)
		}
		tags := verifyStore(t, dir)
		maxTags = max(maxTags, tags)
		if t.Failed() {
			t.Fatalf("store damaged after kill %d", k)
		}
	}
	if maxTags == 0 {
		t.Errorf("after %d runs no tag was ever written: the writers were killed before doing anything", kills)
	}
	t.Logf("%d kills; up to %d tags seen", kills, maxTags)
}

// TestTwoProcessesTagging runs two writer processes tagging into one store at once; every
// tag from both must be there afterwards.
func TestTwoProcessesTagging(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	if _, err := Open(dir); err != nil {
		t.Fatal(err)
	}
	a, goA := startWriter(t, "tags", dir, "docker.io/library/a")
	b, goB := startWriter(t, "tags", dir, "localhost:5000/b")
	for _, w := range []io.WriteCloser{goA, goB} {
		if _, err := io.WriteString(w, "go\n"); err != nil {
			t.Fatal(err)
		}
	}
	for _, cmd := range []*exec.Cmd{a, b} {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("writer process: %v", err)
		}
	}
	if got := verifyStore(t, dir); got != 80 {
		t.Errorf("store has %d tags; want 80", got)
	}
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	entries, _ := s.Index(context.Background())
	have := map[string]bool{}
	for _, e := range entries {
		have[e.Name] = true
	}
	for _, repo := range []string{"docker.io/library/a", "localhost:5000/b"} {
		for i := range 40 {
			if name := repo + ":" + strconv.Itoa(i); !have[name] {
				t.Errorf("tag %s was lost", name)
			}
		}
	}
}
