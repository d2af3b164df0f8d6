package build_test

import (
	"strings"
	"testing"
	"time"

	"github.com/layerlab/layerlab/core/build"
)

// TestRunLimits: a RUN that never ends or fills memory stops with a clear error, and the
// builder stays usable.
func TestRunLimits(t *testing.T) {
	old, oldSize := build.RunTimeout, build.RunSizeLimit
	build.RunTimeout, build.RunSizeLimit = 500*time.Millisecond, 1<<20
	defer func() { build.RunTimeout, build.RunSizeLimit = old, oldSize }()
	tests := []struct{ name, df, want string }{
		{"endless loop", "FROM busybox\nRUN while true; do :; done\n", "RUN took longer than 500ms"},
		{"endless output", "FROM busybox\nRUN while true; do cat /bin/busybox; done > /big\n", "RUN wrote more than 1.0 MB"},
		{"appending in a loop", "FROM busybox\nRUN while true; do echo x >> /big; done\n", "RUN took longer than 500ms"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			_, _, err := run(t, baseStore(t), tc.df, nil, build.Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v; want an error containing %q", err, tc.want)
			}
			if d := time.Since(start); d > 20*time.Second {
				t.Errorf("took %s to stop", d)
			}
		})
	}
}
