package shell_test

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/layerlab/layerlab/core/fsys"
)

// debianRootfs returns a Debian bookworm minbase root filesystem tar (mmdebstrap, made
// once into ~/.cache/layerlab: a few minutes the first time).
func debianRootfs(t *testing.T) string {
	t.Helper()
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(cache, "layerlab", "debian-bookworm-minbase.tar")
	if _, err := os.Stat(p); err == nil {
		return p
	}
	os.MkdirAll(filepath.Dir(p), 0o755)
	tmp := p + ".tmp"
	out, err := exec.Command("mmdebstrap", "--variant=minbase", "--mode=root",
		"--dpkgopt=path-exclude=/usr/share/man/*", "--dpkgopt=path-exclude=/usr/share/doc/*",
		"--dpkgopt=path-exclude=/usr/share/locale/*", "bookworm", tmp).CombinedOutput()
	if err != nil {
		t.Fatalf("making a Debian root filesystem (apt-get install mmdebstrap): %v\n%s", err, out)
	}
	if err := os.Rename(tmp, p); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestShadowUtilsAgainstDebian runs the same scripts with Debian's real groupadd and useradd
// (chroot into a bookworm root filesystem) and with layerlab's emulation over the same
// files, and compares the account files and homes: content, mode, owner, type.
func TestShadowUtilsAgainstDebian(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("this test chroots into a Debian root filesystem and needs root")
	}
	rootfs := debianRootfs(t)
	data, err := os.ReadFile(rootfs)
	if err != nil {
		t.Fatal(err)
	}
	base := fsys.New()
	if err := base.ApplyLayer(bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	watched := []string{"etc/passwd", "etc/passwd-", "etc/group", "etc/group-", "etc/shadow", "etc/shadow-",
		"etc/gshadow", "etc/gshadow-", "etc/subuid", "etc/subuid-", "etc/subgid", "etc/subgid-", "etc/.pwd.lock"}
	for _, script := range []string{
		"groupadd -r app && useradd -r -g app app",
		"useradd -m -u 1500 -s /bin/bash dev && useradd plain",
		"groupadd -g 2000 team && useradd -m -g team -c 'A Person' person",
		"useradd -r -m -d /srv/svc svc",
		"groupadd -f root; groupadd root; echo $?",
	} {
		t.Run(script, func(t *testing.T) {
			dir := t.TempDir()
			if out, err := exec.Command("tar", "xf", rootfs, "-C", dir).CombinedOutput(); err != nil {
				t.Fatalf("extracting: %v %s", err, out)
			}
			realOut, _ := exec.Command("chroot", dir, "/bin/sh", "-c", script).CombinedOutput()
			f := base.Clone()
			out, _ := run(t, f, 0, script)
			if out != string(realOut) {
				t.Errorf("output: got %q; want %q", out, realOut)
			}
			paths := append([]string{}, watched...)
			filepath.Walk(filepath.Join(dir, "home"), func(p string, _ os.FileInfo, _ error) error {
				rel, _ := filepath.Rel(dir, p)
				paths = append(paths, rel)
				return nil
			})
			paths = append(paths, "srv/svc")
			for _, p := range paths {
				if got, want := describeNode(f, p), describeFile(filepath.Join(dir, p)); got != want {
					t.Errorf("/%s: got %s; want %s", p, got, want)
				}
			}
		})
	}
}

func describeNode(f *fsys.FS, p string) string {
	n := f.Get(p)
	if n == nil {
		return "missing"
	}
	return fmt.Sprintf("type=%c mode=%o uid=%d gid=%d sha=%x", n.Type, n.Mode, n.UID, n.GID, sha256.Sum256(n.Data))
}

func describeFile(p string) string {
	fi, err := os.Lstat(p)
	if err != nil {
		return "missing"
	}
	st := fi.Sys().(*syscall.Stat_t)
	typ, data := byte('0'), []byte(nil)
	switch {
	case fi.IsDir():
		typ = '5'
	case fi.Mode()&os.ModeSymlink != 0:
		typ = '2'
	default:
		data, _ = os.ReadFile(p)
	}
	return fmt.Sprintf("type=%c mode=%o uid=%d gid=%d sha=%x", typ, int64(st.Mode&0o7777), st.Uid, st.Gid, sha256.Sum256(data))
}
