package buildcheck

import "testing"

// The expectations follow containerd/platforms v1.0.0-rc.5 (Parse, then FormatAll of
// Normalize), whose behaviour BuildKit's messages show; the testdata/rules cases
// platform-normalized, InvalidBaseImagePlatform and FromPlatformFlagConstDisallowed check
// the same against real BuildKit.
func TestParsePlatform(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"linux/amd64", "linux/amd64"},
		{"linux/x86_64", "linux/amd64"},
		{"linux/aarch64", "linux/arm64"},
		{"linux/arm64/v8", "linux/arm64"},
		{"linux/arm/7", "linux/arm/v7"},
		{"linux/arm", "linux/arm/v7"},
		{"linux/armhf", "linux/arm/v7"},
		{"arm64", "linux/arm64"},
		{"linux", "linux/amd64"},
		{"macos/arm64", "darwin/arm64"},
		{"Linux/AMD64", "linux/amd64"},
		{"bogus", ""},
		{"linux/amd64/v2/x", ""},
		{"linux/*", ""},
		{"", ""},
	} {
		p, err := parsePlatform(tc.in)
		got := ""
		if err == nil {
			got = formatPlatform(normalizePlatform(p))
		}
		if got != tc.want {
			t.Errorf("parsePlatform(%q): got %q (err %v); want %q", tc.in, got, err, tc.want)
		}
	}
}
