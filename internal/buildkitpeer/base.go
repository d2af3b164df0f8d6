package buildkitpeer

import (
	"archive/tar"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// BaseTime is the mtime of every file in the base layer and the created time of the base
// image: positive, so that builds with SOURCE_DATE_EPOCH=0 show that new layers are clamped
// while the base is not.
var BaseTime = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

// BasePath is the PATH the base image sets (Alpine's).
const BasePath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// BusyboxLayer returns the base layer's tar: Debian's static busybox at /bin/busybox, a
// symlink per applet, /etc/passwd, /etc/group, /tmp (1777) and the empty /dev, /proc, /sys
// real images carry (without them runc creates them and they show up in RUN layers).
// Owners are numeric (root); the tar is deterministic.
func BusyboxLayer() ([]byte, error) {
	bb, err := os.ReadFile("/bin/busybox")
	if err != nil {
		return nil, fmt.Errorf("reading busybox-static (apt-get install busybox-static): %w", err)
	}
	out, err := exec.Command("/bin/busybox", "--list-full").Output()
	if err != nil {
		return nil, fmt.Errorf("listing busybox applets: %w", err)
	}
	type ent struct {
		hdr  tar.Header
		data []byte
	}
	ents := map[string]ent{}
	dir := func(name string, mode int64) {
		ents[name+"/"] = ent{hdr: tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: mode}}
	}
	file := func(name string, mode int64, data []byte) {
		ents[name] = ent{hdr: tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: int64(len(data))}, data: data}
	}
	for _, d := range []string{"bin", "sbin", "usr", "usr/bin", "usr/sbin", "usr/local", "usr/local/bin", "etc", "root", "home", "var", "dev", "proc", "sys"} {
		dir(d, 0o755)
	}
	dir("tmp", 0o1777)
	dir("root", 0o700)
	file("bin/busybox", 0o755, bb)
	file("etc/passwd", 0o644, []byte("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"))
	file("etc/group", 0o644, []byte("root:x:0:\nnogroup:x:65534:\n"))
	for _, a := range strings.Fields(string(out)) {
		a = strings.TrimPrefix(a, "/")
		if a == "bin/busybox" || !strings.Contains(a, "/") { // linuxrc: an init, not a command
			continue
		}
		if _, ok := ents[path.Dir(a)+"/"]; !ok {
			return nil, fmt.Errorf("busybox applet %s lives in a directory the base does not have", a)
		}
		ents[a] = ent{hdr: tar.Header{Typeflag: tar.TypeSymlink, Name: a, Linkname: "/bin/busybox", Mode: 0o777}}
	}
	names := make([]string, 0, len(ents))
	for n := range ents {
		names = append(names, n)
	}
	sort.Strings(names)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, n := range names {
		e := ents[n]
		e.hdr.ModTime = BaseTime
		e.hdr.Format = tar.FormatPAX
		if err := tw.WriteHeader(&e.hdr); err != nil {
			return nil, fmt.Errorf("writing base layer entry %s: %w", n, err)
		}
		if _, err := tw.Write(e.data); err != nil {
			return nil, fmt.Errorf("writing base layer entry %s: %w", n, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// BusyboxImage is the base image: one busybox layer, linux/amd64, Cmd ["/bin/sh"], PATH set.
func BusyboxImage() (v1.Image, error) {
	layerTar, err := BusyboxLayer()
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (ioReadCloser, error) { return nopCloser{bytes.NewReader(layerTar)}, nil })
	if err != nil {
		return nil, fmt.Errorf("making the base layer: %w", err)
	}
	img, err := mutate.Append(empty.Image, mutate.Addendum{
		Layer: layer,
		History: v1.History{
			Created:   v1.Time{Time: BaseTime},
			CreatedBy: "layerlab test base: Debian busybox-static",
		},
	})
	if err != nil {
		return nil, fmt.Errorf("appending the base layer: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.Architecture = "amd64"
	cf.OS = "linux"
	cf.Created = v1.Time{Time: BaseTime}
	cf.Config.Cmd = []string{"/bin/sh"}
	cf.Config.Env = []string{"PATH=" + BasePath}
	return mutate.ConfigFile(img, cf)
}
