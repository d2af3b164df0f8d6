package ref

import "testing"

func TestParse(t *testing.T) {
	tests := []struct {
		in, full, familiar, err string
	}{
		{in: "nginx", full: "docker.io/library/nginx:latest", familiar: "nginx:latest"},
		{in: "nginx:1.25", full: "docker.io/library/nginx:1.25", familiar: "nginx:1.25"},
		{in: "user/app:1.0", full: "docker.io/user/app:1.0", familiar: "user/app:1.0"},
		{in: "docker.io/library/nginx", full: "docker.io/library/nginx:latest", familiar: "nginx:latest"},
		{in: "index.docker.io/library/nginx", full: "docker.io/library/nginx:latest", familiar: "nginx:latest"},
		{in: "localhost:5000/x", full: "localhost:5000/x:latest", familiar: "localhost:5000/x:latest"},
		{in: "127.0.0.1:5000/library/busybox:1.35", full: "127.0.0.1:5000/library/busybox:1.35", familiar: "127.0.0.1:5000/library/busybox:1.35"},
		{in: "ghcr.io/a/b/c:v", full: "ghcr.io/a/b/c:v", familiar: "ghcr.io/a/b/c:v"},
		{
			in:       "nginx@sha256:0000000000000000000000000000000000000000000000000000000000000000",
			full:     "docker.io/library/nginx@sha256:0000000000000000000000000000000000000000000000000000000000000000",
			familiar: "nginx@sha256:0000000000000000000000000000000000000000000000000000000000000000",
		},
		{in: "Nginx", err: "invalid reference format: repository name (library/Nginx) must be lowercase"},
		{in: "nginx:", err: "invalid reference format"},
		{in: "-bad", err: "invalid reference format"},
		{in: "", err: "invalid reference format"},
		{in: "a/b:c:d", err: "invalid reference format"},
		{in: "nginx@sha256:abc", err: "invalid reference format"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			r, err := Parse(tc.in)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("Parse(%q) error = %v; want %q", tc.in, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.in, err)
			}
			if got := String(r); got != tc.full {
				t.Errorf("String = %q; want %q", got, tc.full)
			}
			if got := Familiar(r); got != tc.familiar {
				t.Errorf("Familiar = %q; want %q", got, tc.familiar)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"nginx", "user/app:1.0", "localhost:5000/x", "a@sha256:" + "00000000000000000000000000000000000000000000000000000000000000ff", "Nginx", "::", "a/../b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := Parse(s)
		if err != nil {
			return
		}
		// A parsed reference must print to something that parses back to itself.
		again, err := Parse(String(r))
		if err != nil {
			t.Fatalf("Parse(%q) ok but its String %q does not parse: %v", s, String(r), err)
		}
		if String(again) != String(r) {
			t.Fatalf("round trip of %q: %q then %q", s, String(r), String(again))
		}
	})
}
