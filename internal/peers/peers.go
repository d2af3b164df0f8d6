package peers

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// StartDocker starts a private dockerd (Debian's Engine 20.10, /usr/sbin/dockerd) and returns
// the DOCKER_HOST value that reaches it. The daemon is stopped (SIGTERM, then SIGKILL after
// 20 s) and its directory removed when the test ends. It fails the test if dockerd or the
// docker CLI is missing or the daemon does not answer within 60 s.
func StartDocker(t testing.TB) string {
	t.Helper()
	dockerd, err := exec.LookPath("dockerd")
	if err != nil {
		t.Fatalf("starting dockerd: %v (install Debian's docker.io: apt-get install -y docker.io)", err)
	}
	if _, err := exec.LookPath("docker"); err != nil {
		t.Fatalf("starting dockerd: the docker CLI is not on PATH: %v", err)
	}
	// A short directory: containerd's sockets live under the exec root and unix socket
	// paths are limited to 108 bytes, which t.TempDir's long names can exceed.
	dir, err := os.MkdirTemp("", "lldk")
	if err != nil {
		t.Fatalf("starting dockerd: %v", err)
	}
	sock := filepath.Join(dir, "docker.sock")
	host := "unix://" + sock
	cmd := exec.Command(dockerd,
		"--data-root", filepath.Join(dir, "root"),
		"--exec-root", filepath.Join(dir, "exec"),
		"--pidfile", filepath.Join(dir, "docker.pid"),
		"-H", host,
		"--iptables=false", "--ip6tables=false", "--bridge=none",
	)
	ready := func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c := exec.CommandContext(ctx, "docker", "version", "--format", "{{.Server.Version}}")
		c.Env = DockerEnv(host)
		out, err := c.Output()
		return err == nil && len(bytes.TrimSpace(out)) > 0
	}
	// Best effort removal: a layer mount left busy must not fail an otherwise passing test.
	startDaemon(t, "dockerd", cmd, filepath.Join(dir, "dockerd.log"), 60*time.Second, ready, func() { _ = os.RemoveAll(dir) })
	return host
}

// DockerEnv is the process environment for docker CLI commands against host: the test's
// environment with DOCKER_HOST set, the classic builder (DOCKER_BUILDKIT=0, so FROM never
// needs Docker Hub) and no CLI hints.
func DockerEnv(host string) []string {
	env := []string{"DOCKER_HOST=" + host, "DOCKER_BUILDKIT=0", "DOCKER_CLI_HINTS=false"}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "DOCKER_HOST", "DOCKER_BUILDKIT", "DOCKER_CLI_HINTS", "DOCKER_CONTEXT":
			continue
		}
		env = append(env, kv)
	}
	return env
}

// Docker runs the docker CLI against host and returns its standard output; any failure
// fails the test with the command's standard error.
func Docker(t testing.TB, host string, args ...string) string {
	t.Helper()
	out, err := DockerResult(host, args...)
	if err != nil {
		t.Fatalf("%v", err)
	}
	return out
}

// DockerResult runs the docker CLI against host and returns its standard output, or an
// error carrying the command line and its standard error.
func DockerResult(host string, args ...string) (string, error) {
	var stdout, stderr bytes.Buffer
	c := exec.Command("docker", args...)
	c.Env = DockerEnv(host)
	c.Stdout, c.Stderr = &stdout, &stderr
	if err := c.Run(); err != nil {
		return stdout.String(), fmt.Errorf("docker %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// Run runs any command and returns its standard output, failing the test (with standard
// error) if it cannot be run or exits non-zero. For skopeo and friends.
func Run(t testing.TB, name string, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Fatalf("%s is not installed: %v", name, err)
	}
	var stdout, stderr bytes.Buffer
	c := exec.Command(name, args...)
	c.Stdout, c.Stderr = &stdout, &stderr
	if err := c.Run(); err != nil {
		t.Fatalf("%s %s: %v: %s", name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String()
}

// BusyboxRootfs writes, in dir, a tar of a small runnable root filesystem made from Debian's
// busybox-static: /bin/busybox and a symlink per applet, /etc/passwd, /etc/group, /tmp
// (1777) and the empty /dev, /proc, /sys real images carry. Owners are numeric root, times
// the epoch, so the tar (and an image imported from it) is the same on every run. It
// returns the tar's path.
func BusyboxRootfs(t testing.TB, dir string) string {
	t.Helper()
	bin, err := os.ReadFile("/bin/busybox")
	if err != nil {
		t.Fatalf("making the busybox rootfs: %v (apt-get install -y busybox-static)", err)
	}
	out, err := exec.Command("/bin/busybox", "--list").Output()
	if err != nil {
		t.Fatalf("making the busybox rootfs: busybox --list: %v", err)
	}
	applets := strings.Fields(string(out))
	sort.Strings(applets)
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	epoch := time.Unix(0, 0)
	add := func(h *tar.Header, body []byte) {
		h.ModTime, h.Uname, h.Gname, h.Format = epoch, "", "", tar.FormatPAX
		if err := tw.WriteHeader(h); err != nil {
			t.Fatalf("making the busybox rootfs: %v", err)
		}
		if _, err := tw.Write(body); err != nil {
			t.Fatalf("making the busybox rootfs: %v", err)
		}
	}
	for _, d := range []string{"bin/", "dev/", "etc/", "proc/", "sys/"} {
		add(&tar.Header{Typeflag: tar.TypeDir, Name: d, Mode: 0o755}, nil)
	}
	add(&tar.Header{Typeflag: tar.TypeReg, Name: "bin/busybox", Mode: 0o755, Size: int64(len(bin))}, bin)
	for _, a := range applets {
		if a == "busybox" {
			continue
		}
		add(&tar.Header{Typeflag: tar.TypeSymlink, Name: "bin/" + a, Linkname: "busybox", Mode: 0o777}, nil)
	}
	passwd := []byte("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n")
	group := []byte("root:x:0:\nnogroup:x:65534:\n")
	add(&tar.Header{Typeflag: tar.TypeReg, Name: "etc/group", Mode: 0o644, Size: int64(len(group))}, group)
	add(&tar.Header{Typeflag: tar.TypeReg, Name: "etc/passwd", Mode: 0o644, Size: int64(len(passwd))}, passwd)
	add(&tar.Header{Typeflag: tar.TypeDir, Name: "tmp/", Mode: 0o1777}, nil)
	if err := tw.Close(); err != nil {
		t.Fatalf("making the busybox rootfs: %v", err)
	}
	p := filepath.Join(dir, "busybox-rootfs.tar")
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatalf("making the busybox rootfs: %v", err)
	}
	return p
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}
