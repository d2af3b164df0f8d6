package idbstore

import (
	"path"
	"reflect"
	"strings"
	"testing"
)

func TestAbs(t *testing.T) {
	tests := []struct {
		name, in, want, wantErr string
	}{
		{"relative", "Dockerfile", "/workspace/Dockerfile", ""},
		{"nested", "app/src/main.go", "/workspace/app/src/main.go", ""},
		{"dot", ".", "/workspace", ""},
		{"cleaned", "./a//b/../c", "/workspace/a/c", ""},
		{"absolute workspace", "/workspace/x.tar", "/workspace/x.tar", ""},
		{"home", "/root/.docker/config.json", "/root/.docker/config.json", ""},
		{"relative into home", "../root/.docker/config.json", "/root/.docker/config.json", ""},
		{"escape", "../../etc/passwd", "", "../../etc/passwd: outside /workspace and /root, the folders the playground keeps"},
		{"absolute elsewhere", "/etc/passwd", "", "/etc/passwd: outside /workspace and /root, the folders the playground keeps"},
		{"prefix trick", "/workspacex/a", "", "/workspacex/a: outside /workspace and /root, the folders the playground keeps"},
		{"root", "/", "", "/: outside /workspace and /root, the folders the playground keeps"},
		{"empty", "", "", "empty file name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Abs(tc.in)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("Abs(%q) error = %v; want %q", tc.in, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("Abs(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestParents(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"/workspace/a", nil},
		{"/workspace/a/b/c", []string{"/workspace/a", "/workspace/a/b"}},
		{"/root/.docker/config.json", []string{"/root/.docker"}},
		{"/workspace", nil},
	}
	for _, tc := range tests {
		if got := parents(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("parents(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
}

func FuzzAbs(f *testing.F) {
	for _, s := range []string{"a", "../x", "/root/../workspace/a", "/workspace/../../etc", "\x00", "a/./b/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		p, err := Abs(name)
		if err != nil {
			return
		}
		if path.Clean(p) != p || strings.Contains(p, "..") && strings.Contains("/"+p+"/", "/../") {
			t.Fatalf("Abs(%q) = %q: not clean", name, p)
		}
		if !(p == WorkspaceRoot || p == Home || strings.HasPrefix(p, WorkspaceRoot+"/") || strings.HasPrefix(p, Home+"/")) {
			t.Fatalf("Abs(%q) = %q: outside both roots", name, p)
		}
	})
}
