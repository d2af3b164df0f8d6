package shell_test

import (
	"archive/tar"
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/layerlab/layerlab/core/fsys"
	"github.com/layerlab/layerlab/core/shell"
	"github.com/layerlab/layerlab/internal/buildkitpeer"
)

var testNow = time.Date(2026, 11, 22, 5, 0, 0, 0, time.UTC)

// baseFS is the conformance suite's busybox base (Debian's busybox-static), plus extra
// files given as path -> content ("->target" makes a symlink, a trailing "/" a directory).
func baseFS(t testing.TB, extra map[string]string) *fsys.FS {
	t.Helper()
	layer, err := buildkitpeer.BusyboxLayer()
	if err != nil {
		t.Fatal(err)
	}
	f := fsys.New()
	if err := f.ApplyLayer(bytes.NewReader(layer)); err != nil {
		t.Fatal(err)
	}
	for p, c := range extra {
		var n *fsys.Node
		switch {
		case strings.HasSuffix(p, "/"):
			n = &fsys.Node{Type: tar.TypeDir, Mode: 0o755}
		case strings.HasPrefix(c, "->"):
			n = &fsys.Node{Type: tar.TypeSymlink, Mode: 0o777, Link: c[2:]}
		default:
			n = &fsys.Node{Type: tar.TypeReg, Mode: 0o755, Data: []byte(c)}
		}
		if err := f.MkdirAll(strings.TrimSuffix(p[:strings.LastIndex(strings.TrimSuffix(p, "/"), "/")+1], "/"), 0o755, 0, 0, time.Time{}); err != nil {
			t.Fatal(err)
		}
		if err := f.Put(p, n); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// alpine adds what an Alpine image has and the Debian busybox lacks: the account applets,
// /etc/shadow, apk.
func alpine() map[string]string {
	return map[string]string{
		"/usr/sbin/adduser": "->/bin/busybox", "/usr/sbin/addgroup": "->/bin/busybox",
		"/usr/sbin/deluser": "->/bin/busybox", "/usr/sbin/delgroup": "->/bin/busybox",
		"/etc/shadow":         "root:*:19000:0:::::\nnobody:!::0:::::\n",
		"/sbin/apk":           "\x7fELF",
		"/etc/alpine-release": "3.20.0\n",
	}
}

func run(t testing.TB, f *fsys.FS, uid int, script string) (string, int) {
	t.Helper()
	var out bytes.Buffer
	sh := shell.New(shell.NewImageFS(f, uid, uid, testNow), shell.Config{
		Env: []string{"PATH=" + buildkitpeer.BasePath, "HOME=/root"}, Dir: "/", UID: uid, GID: uid,
		Stdout: &out, Stderr: &out, Now: func() time.Time { return testNow },
	})
	code, err := sh.Exec(context.Background(), []string{"/bin/sh", "-c", script})
	if err != nil {
		t.Fatalf("running %q: %v", script, err)
	}
	return out.String(), code
}

// expectRun checks a run's output and exit status, and the files it should have left.
func expectRun(t *testing.T, f *fsys.FS, out string, code int, wantOut string, wantCode int, files map[string]string) {
	t.Helper()
	if out != wantOut {
		t.Errorf("output: got %q; want %q", out, wantOut)
	}
	if code != wantCode {
		t.Errorf("exit: got %d; want %d", code, wantCode)
	}
	for p, want := range files {
		if got := file(f, p); got != want {
			t.Errorf("%s: got %q; want %q", p, got, want)
		}
	}
}

func file(f *fsys.FS, p string) string {
	n := f.Get(p)
	if n == nil {
		return "<missing>"
	}
	return string(n.Data)
}

type node struct {
	mode     int64
	uid, gid int
	typ      byte
}

func stat(f *fsys.FS, p string) node {
	n := f.Get(p)
	if n == nil {
		return node{}
	}
	return node{n.Mode, n.UID, n.GID, n.Type}
}

func TestAccounts(t *testing.T) {
	days := "20779" // testNow in days since the epoch
	tests := []struct {
		name, script, out string
		code              int
		files             map[string]string
		nodes             map[string]node
	}{
		{name: "addgroup -S and adduser -S -G (the Alpine idiom)", script: "addgroup -S app && adduser -S -G app app",
			files: map[string]string{
				"/etc/group":   "root:x:0:\nnogroup:x:65534:\napp:x:100:app\n",
				"/etc/group-":  "root:x:0:\nnogroup:x:65534:\napp:x:100:\n",
				"/etc/passwd":  "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\napp:x:100:100:Linux User,,,:/home/app:/bin/false\n",
				"/etc/passwd-": "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
				"/etc/shadow":  "root:*:19000:0:::::\nnobody:!::0:::::\napp:!:" + days + ":0:99999:7:::\n",
			},
			nodes: map[string]node{"/home/app": {0o2755, 100, 100, tar.TypeDir}, "/etc/passwd": {0o644, 0, 0, tar.TypeReg}}},
		{name: "adduser -D -u", script: "adduser -D -u 1000 user",
			files: map[string]string{
				"/etc/passwd": "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\nuser:x:1000:1000:Linux User,,,:/home/user:/bin/sh\n",
				"/etc/group":  "root:x:0:\nnogroup:x:65534:\nuser:x:1000:\n",
			},
			nodes: map[string]node{"/home/user": {0o2755, 1000, 1000, tar.TypeDir}}},
		{name: "adduser -S without -G joins nogroup", script: "adduser -S svc && id svc; grep nogroup /etc/group",
			out: "uid=100(svc) gid=65534(nogroup) groups=65534(nogroup)\nnogroup:x:65534:svc\n"},
		{name: "adduser -D picks 1000 up", script: "adduser -D a && adduser -D b && grep -E '^(a|b):' /etc/passwd",
			out: "a:x:1000:1000:Linux User,,,:/home/a:/bin/sh\nb:x:1001:1001:Linux User,,,:/home/b:/bin/sh\n"},
		{name: "adduser without -D asks for a password", script: "adduser x",
			out: "Changing password for x\nNew password: \npasswd: password for x is unchanged\n", code: 1},
		{name: "adduser in use", script: "adduser -D root", out: "adduser: user 'root' in use\n", code: 1},
		{name: "adduser unknown group", script: "adduser -D -G nope x", out: "adduser: unknown group nope\n", code: 1},
		{name: "adduser bad name", script: "adduser -D -- -x", out: "adduser: illegal character with code 45 at position 0\n", code: 1},
		{name: "adduser -H -s -h -g", script: "adduser -D -H -s /bin/ash -h /srv -g 'App' app && tail -1 /etc/passwd && ls /home",
			out: "app:x:1000:1000:App:/srv:/bin/ash\n", nodes: map[string]node{"/srv": {}}},
		{name: "addgroup -g", script: "addgroup -g 2000 www && addgroup -g 2000 other", out: "addgroup: gid '2000' in use\n", code: 1,
			files: map[string]string{"/etc/group": "root:x:0:\nnogroup:x:65534:\nwww:x:2000:\n"}},
		{name: "addgroup user group", script: "adduser -D u && addgroup -S g && addgroup u g && addgroup u g && grep '^g:' /etc/group", out: "g:x:100:u\n"},
		{name: "deluser", script: "adduser -D u && addgroup -S g && addgroup u g && deluser u && cat /etc/passwd /etc/group",
			out:   "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\nroot:x:0:\nnogroup:x:65534:\ng:x:100:\n",
			files: map[string]string{"/etc/shadow": "root:*:19000:0:::::\nnobody:!::0:::::\n"}, nodes: map[string]node{"/home/u": {0o2755, 1000, 1000, tar.TypeDir}}},
		{name: "deluser --remove-home", script: "adduser -D u && deluser --remove-home u", nodes: map[string]node{"/home/u": {}}},
		{name: "deluser unknown", script: "deluser nope", out: "deluser: unknown user nope\n", code: 1},
		{name: "not root", script: "adduser -D x", out: "adduser: permission denied (are you root?)\n", code: 1},
		{name: "useradd is not busybox", script: "useradd x", code: 127,
			out: "/bin/sh: useradd: not found\nlayerlab: RUN emulates these commands besides the shell's builtins: " + shell.Names() + "\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := baseFS(t, alpine())
			uid := 0
			if tc.name == "not root" {
				uid = 1000
			}
			out, code := run(t, f, uid, tc.script)
			expectRun(t, f, out, code, tc.out, tc.code, tc.files)
			for p, want := range tc.nodes {
				if got := stat(f, p); got != want {
					t.Errorf("%s: got %+v; want %+v", p, got, want)
				}
			}
		})
	}
}

// TestShadowUtils: useradd and groupadd run where the image has them (a Debian-like
// image), with Debian's defaults.
func TestShadowUtils(t *testing.T) {
	debian := map[string]string{
		"/usr/sbin/useradd": "\x7fELF", "/usr/sbin/groupadd": "\x7fELF",
		"/etc/shadow":  "root:*:19000:0:99999:7:::\n",
		"/etc/gshadow": "root:*::\n",
		"/etc/skel/":   "", "/etc/skel/.profile": "# profile\n",
		"/etc/subuid": "", "/etc/subgid": "",
	}
	tests := []struct {
		name, script, out string
		code              int
		files             map[string]string
		nodes             map[string]node
	}{
		{name: "groupadd -r and useradd -r -g", script: "groupadd -r app && useradd -r -g app app",
			files: map[string]string{
				"/etc/group":   "root:x:0:\nnogroup:x:65534:\napp:x:999:\n",
				"/etc/gshadow": "root:*::\napp:!::\n",
				"/etc/passwd":  "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\napp:x:999:999::/home/app:/bin/sh\n",
				"/etc/shadow":  "root:*:19000:0:99999:7:::\napp:!:20779::::::\n",
				"/etc/passwd-": "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
				"/etc/subuid":  "",
			},
			nodes: map[string]node{"/home/app": {}, "/etc/.pwd.lock": {0o600, 0, 0, tar.TypeReg}}},
		{name: "useradd twice: the next subordinate range", script: "useradd a && useradd b && cat /etc/subuid",
			out: "a:100000:65536\nb:165536:65536\n"},
		{name: "useradd -m -u -s", script: "useradd -m -u 1500 -s /bin/bash dev && tail -1 /etc/group",
			out:   "dev:x:1500:\n",
			files: map[string]string{"/home/dev/.profile": "# profile\n", "/etc/subuid": "dev:100000:65536\n", "/etc/subgid": "dev:100000:65536\n"},
			nodes: map[string]node{"/home/dev": {0o755, 1500, 1500, tar.TypeDir}, "/home/dev/.profile": {0o755, 1500, 1500, tar.TypeReg}}},
		{name: "useradd exists", script: "useradd root", out: "useradd: user 'root' already exists\n", code: 9},
		{name: "useradd unknown group", script: "useradd -g nope x", out: "useradd: group 'nope' does not exist\n", code: 6},
		{name: "groupadd exists", script: "groupadd root", out: "groupadd: group 'root' already exists\n", code: 9},
		{name: "groupadd -f exists", script: "groupadd -f root"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := baseFS(t, debian)
			out, code := run(t, f, 0, tc.script)
			expectRun(t, f, out, code, tc.out, tc.code, tc.files)
			for p, want := range tc.nodes {
				if got := stat(f, p); got != want {
					t.Errorf("%s: got %+v; want %+v", p, got, want)
				}
			}
		})
	}
}
