package archive_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/layerlab/layerlab/core/archive"
	"github.com/layerlab/layerlab/core/store"
	"github.com/layerlab/layerlab/internal/peers"
)

// TestInteropDocker checks both directions against the real engine (Debian's Docker 20.10,
// started by the test): layerlab loads what `docker save` writes (the legacy shape) with
// the same image IDs and tags, and `docker load` and skopeo read what layerlab saves (the
// Docker 25+ shape), again with the same image IDs, and the image still runs.
func TestInteropDocker(t *testing.T) {
	ctx := context.Background()
	host := peers.StartDocker(t)
	dir := t.TempDir()
	docker := func(args ...string) string { t.Helper(); return peers.Docker(t, host, args...) }
	id := func(ref string) v1.Hash {
		t.Helper()
		h, err := v1.NewHash(strings.TrimSpace(docker("image", "inspect", "--format", "{{.Id}}", ref)))
		if err != nil {
			t.Fatal(err)
		}
		return h
	}

	// A base from busybox, and an image on it whose layers add, delete (whiteouts) and
	// change files, with ENV and CMD, built by the classic builder (no Docker Hub needed).
	rootfs := peers.BusyboxRootfs(t, dir)
	docker("import", "-c", "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "-c", `CMD ["/bin/sh"]`, rootfs, "lab/base:1")
	buildCtx := filepath.Join(dir, "ctx")
	if err := os.MkdirAll(buildCtx, 0o755); err != nil {
		t.Fatal(err)
	}
	dockerfile := `FROM lab/base:1
RUN mkdir -p /app && echo hello > /app/hi.txt && echo bye > /app/bye.txt
RUN rm /app/bye.txt && rm -f /etc/group && echo changed >> /etc/passwd
ENV APP_HOME=/app
CMD ["cat", "/app/hi.txt"]
`
	if err := os.WriteFile(filepath.Join(buildCtx, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
		t.Fatal(err)
	}
	docker("build", "-q", "-t", "lab/app:1.0", buildCtx)
	docker("tag", "lab/app:1.0", "localhost:5000/team/app:latest")
	appID, baseID := id("lab/app:1.0"), id("lab/base:1")

	// docker save -> layerlab load.
	legacy := filepath.Join(dir, "legacy.tar")
	docker("save", "-o", legacy, "lab/app:1.0", "localhost:5000/team/app:latest", "lab/base:1")
	lb, err := os.ReadFile(legacy)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(lb, []byte("/layer.tar")) || bytes.Contains(lb, []byte("index.json")) {
		t.Fatalf("docker save did not write the legacy shape this test means to read")
	}
	s := store.NewMemory()
	loaded, err := archive.Load(ctx, s, bytes.NewReader(lb), int64(len(lb)))
	if err != nil {
		t.Fatalf("loading docker's save: %v", err)
	}
	got := map[string]v1.Hash{}
	for _, l := range loaded {
		got[l.Name] = l.ID
	}
	want := map[string]v1.Hash{
		"docker.io/lab/app:1.0":          appID,
		"localhost:5000/team/app:latest": appID,
		"docker.io/lab/base:1":           baseID,
	}
	if g, w := fmtMap(got), fmtMap(want); g != w {
		t.Errorf("loaded %s; want %s", g, w)
	}
	manifests := map[v1.Hash]v1.Descriptor{}
	for _, l := range loaded {
		manifests[l.ID] = l.Manifest
	}

	// layerlab save -> docker load, into the engine emptied of those images.
	ours := filepath.Join(dir, "ours.tar")
	save(t, s, ours,
		archive.SaveImage{Names: []string{"docker.io/lab/app:1.0", "localhost:5000/team/app:latest"}, Manifest: manifests[appID]},
		archive.SaveImage{Names: []string{"docker.io/lab/base:1"}, Manifest: manifests[baseID]})
	docker("rmi", "lab/app:1.0", "localhost:5000/team/app:latest", "lab/base:1")
	if left := strings.TrimSpace(docker("images", "-q")); left != "" {
		t.Fatalf("images left after rmi: %q", left)
	}
	out := docker("load", "-i", ours)
	if w := "Loaded image: lab/app:1.0\nLoaded image: localhost:5000/team/app:latest\nLoaded image: lab/base:1\n"; out != w {
		t.Errorf("docker load printed %q; want %q", out, w)
	}
	if g := id("lab/app:1.0"); g != appID {
		t.Errorf("docker load of our save: lab/app:1.0 is %s; want %s", g, appID)
	}
	if g := id("localhost:5000/team/app:latest"); g != appID {
		t.Errorf("docker load of our save: localhost:5000/team/app:latest is %s; want %s", g, appID)
	}
	if g := id("lab/base:1"); g != baseID {
		t.Errorf("docker load of our save: lab/base:1 is %s; want %s", g, baseID)
	}
	if g := docker("run", "--rm", "--network", "none", "lab/app:1.0"); g != "hello\n" {
		t.Errorf("the loaded image ran and printed %q; want %q", g, "hello\n")
	}
	if g := docker("run", "--rm", "--network", "none", "lab/app:1.0", "ls", "/app"); g != "hi.txt\n" {
		t.Errorf("ls /app printed %q; want %q (the whiteout of bye.txt lost?)", g, "hi.txt\n")
	}

	// The tar headers Docker's writer makes (the same code, pkg/archive, writes both shapes):
	// ours must match byte for byte outside name, size, mtime and checksum.
	ob, err := os.ReadFile(ours)
	if err != nil {
		t.Fatal(err)
	}
	dh, oh := rawHeaders(t, lb), rawHeaders(t, ob)
	var dockerDir string
	for n := range dh {
		if strings.HasSuffix(n, "/") {
			dockerDir = n
		}
	}
	for _, pair := range [][2]string{{"manifest.json", "manifest.json"}, {"repositories", "repositories"}, {dockerDir, "blobs/"}} {
		d, o := dh[pair[0]], oh[pair[1]]
		if d == nil || o == nil {
			t.Fatalf("header %q (docker) or %q (ours) missing", pair[0], pair[1])
		}
		for _, f := range []struct {
			name       string
			start, end int
		}{{"mode", 100, 108}, {"uid", 108, 116}, {"gid", 116, 124}, {"typeflag", 156, 157}, {"linkname", 157, 257},
			{"magic", 257, 263}, {"version", 263, 265}, {"uname", 265, 297}, {"gname", 297, 329},
			{"devmajor", 329, 337}, {"devminor", 337, 345}, {"prefix", 345, 512}} {
			if g, w := o[f.start:f.end], d[f.start:f.end]; !bytes.Equal(g, w) {
				t.Errorf("%s header field %s = %q; docker writes %q", pair[1], f.name, g, w)
			}
		}
	}

	// An untagged image: docker load reports it by ID.
	untagged := filepath.Join(dir, "untagged.tar")
	save(t, s, untagged, archive.SaveImage{Manifest: manifests[baseID]})
	if g, w := docker("load", "-i", untagged), "Loaded image ID: "+baseID.String()+"\n"; g != w {
		t.Errorf("docker load of an untagged save printed %q; want %q", g, w)
	}

	// skopeo reads our save as a docker-archive: one image, and one of several by name.
	single := filepath.Join(dir, "single.tar")
	save(t, s, single, archive.SaveImage{Names: []string{"docker.io/lab/app:1.0"}, Manifest: manifests[appID]})
	for _, src := range []string{"docker-archive:" + single, "docker-archive:" + ours + ":localhost:5000/team/app:latest"} {
		var info struct {
			RepoTags []string
			Env      []string
			Layers   []string
		}
		if err := json.Unmarshal([]byte(peers.Run(t, "skopeo", "inspect", src)), &info); err != nil {
			t.Fatalf("skopeo inspect %s: %v", src, err)
		}
		if len(info.Layers) != 3 {
			t.Errorf("skopeo inspect %s: %d layers; want 3", src, len(info.Layers))
		}
		if !contains(info.Env, "APP_HOME=/app") {
			t.Errorf("skopeo inspect %s: Env %q lacks APP_HOME=/app", src, info.Env)
		}
		raw := peers.Run(t, "skopeo", "inspect", "--config", "--raw", src)
		if g := sha(raw); g != appID {
			t.Errorf("skopeo inspect --config %s: config digest %s; want the image ID %s", src, g, appID)
		}
	}

	// What skopeo writes from our save loads back: an OCI layout tar (index.json only, the
	// reference in org.opencontainers.image.ref.name) and skopeo's docker-archive variant.
	// Converting to OCI, skopeo rewrites the config (it drops Docker-only fields), so the
	// ID to expect is the digest of the config skopeo reports.
	for _, dest := range []string{"oci-archive:" + filepath.Join(dir, "sk-oci.tar") + ":lab/app:9", "docker-archive:" + filepath.Join(dir, "sk-da.tar") + ":lab/app:9"} {
		peers.Run(t, "skopeo", "copy", "-q", "docker-archive:"+ours+":localhost:5000/team/app:latest", dest)
		p := strings.Split(dest, ":")[1]
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		got, err := archive.Load(ctx, store.NewMemory(), bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatalf("loading what skopeo copy wrote to %s: %v", dest, err)
		}
		wantID := sha(peers.Run(t, "skopeo", "inspect", "--config", "--raw", dest))
		if strings.HasPrefix(dest, "docker-archive:") && wantID != appID {
			t.Errorf("skopeo's docker-archive copy has config %s; want it unchanged, %s", wantID, appID)
		}
		if len(got) != 1 || got[0].Name != "docker.io/lab/app:9" || got[0].ID != wantID {
			t.Errorf("loading what skopeo copy wrote to %s: %+v; want docker.io/lab/app:9 with ID %s", dest, got, wantID)
		}
	}
}

// rawHeaders returns the 512-byte header block of each member of a plain ustar archive.
func rawHeaders(t *testing.T, b []byte) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for off := 0; off+512 <= len(b); {
		h := b[off : off+512]
		if bytes.Equal(h, make([]byte, 512)) {
			break
		}
		name := string(bytes.TrimRight(h[:100], "\x00"))
		size, err := strconv.ParseInt(strings.Trim(string(h[124:136]), "\x00 "), 8, 64)
		if err != nil {
			t.Fatalf("member %q: size field %q: %v", name, h[124:136], err)
		}
		out[name] = h
		off += 512 + int(size+511)/512*512
	}
	return out
}

func save(t *testing.T, s store.Store, path string, imgs ...archive.SaveImage) {
	t.Helper()
	var b bytes.Buffer
	if err := archive.Save(context.Background(), s, &b, imgs); err != nil {
		t.Fatalf("Save: %v", err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func sha(s string) v1.Hash {
	h, _, _ := v1.SHA256(strings.NewReader(s))
	return h
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

func fmtMap(m map[string]v1.Hash) string {
	var l []string
	for k, v := range m {
		l = append(l, k+"="+v.String())
	}
	sort.Strings(l)
	return strings.Join(l, " ")
}
