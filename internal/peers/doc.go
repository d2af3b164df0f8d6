// Package peers starts the real tools layerlab's tests compare against — Debian's Docker
// Engine 20.10 (dockerd) with the docker CLI, skopeo, the reference BuildKit (buildkitd and
// buildctl, built once from the module proxy into the user cache) — and makes the busybox
// base image those tests build on (no Docker Hub here). It is for tests only, and must not
// be imported by non-test code.
//
// A test that needs a peer starts it here and fails loudly when it cannot: peers are part of
// the test, never a reason to skip it. Everything a peer writes lives in a temporary
// directory removed when the test ends, and each dockerd is the test's own (own data root,
// exec root, socket, no iptables, no bridge), so tests and parallel packages never share one.
//
// Typical use:
//
//	host := peers.StartDocker(t)              // DOCKER_HOST value, e.g. unix:///tmp/dk123/docker.sock
//	rootfs := peers.BusyboxRootfs(t, dir)     // path of a base rootfs tar
//	peers.Docker(t, host, "import", rootfs, "base:latest")
//	out := peers.Docker(t, host, "image", "inspect", "--format", "{{.Id}}", "base:latest")
//
//	bk := peers.StartBuildKit(t)
//	bk.Buildctl(t, ctxDir, "build", "--frontend", "dockerfile.v0", "--local", "context=.", ...)
package peers
