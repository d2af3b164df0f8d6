package peers

import (
	"strings"
	"testing"
)

// TestDockerRunsBusybox checks the helpers end to end: a private dockerd, an image imported
// from the busybox rootfs, and a container that runs in it.
func TestDockerRunsBusybox(t *testing.T) {
	host := StartDocker(t)
	rootfs := BusyboxRootfs(t, t.TempDir())
	Docker(t, host, "import", "-c", "CMD [\"/bin/sh\"]", rootfs, "peers-base:latest")
	got := strings.TrimSpace(Docker(t, host, "run", "--rm", "--network", "none", "peers-base:latest", "/bin/echo", "hello from busybox"))
	if want := "hello from busybox"; got != want {
		t.Errorf("docker run printed %q; want %q", got, want)
	}
}
