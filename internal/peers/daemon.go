package peers

import (
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// daemon is how a real peer runs: cmd started in its own process group (so stopping it never
// signals the test binary) with its output in logPath, stopped when the test ends (SIGTERM,
// then SIGKILL after 20 s; then cleanup, if any), its log's tail shown when the test failed.
// startDaemon returns once ready reports true, and fails the test if the process exits first
// or is not ready within wait.
func startDaemon(t testing.TB, what string, cmd *exec.Cmd, logPath string, wait time.Duration, ready func() bool, cleanup func()) {
	t.Helper()
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatalf("starting %s: %v", what, err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", what, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		logf.Close()
		if t.Failed() {
			if b, err := os.ReadFile(logPath); err == nil {
				t.Logf("%s log (last 4 KB):\n%s", what, tail(b, 4096))
			}
		}
		if cleanup != nil {
			cleanup()
		}
	})
	deadline := time.Now().Add(wait)
	for {
		select {
		case err := <-exited:
			b, _ := os.ReadFile(logPath)
			t.Fatalf("starting %s: it exited (%v); log:\n%s", what, err, tail(b, 4096))
		default:
		}
		if ready() {
			return
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(logPath)
			t.Fatalf("starting %s: no answer within %s; log:\n%s", what, wait, tail(b, 4096))
		}
		time.Sleep(200 * time.Millisecond)
	}
}
