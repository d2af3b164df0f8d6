package shell_test

import (
	"testing"
)

// TestPackageManagers: package managers are simulated where the image has them (exact
// output and placeholder files) and "not found" where it does not, as a real build. Real
// BuildKit cannot check these offline.
func TestPackageManagers(t *testing.T) {
	debian := map[string]string{"/usr/bin/apt-get": "\x7fELF", "/usr/bin/apt": "\x7fELF", "/var/lib/apt/lists/": "",
		"/usr/local/bin/pip": "#!/usr/bin/python3", "/usr/local/lib/python3.12/site-packages/": ""}
	node := map[string]string{"/usr/local/bin/npm": "->../lib/node_modules/npm/bin/npm-cli.js",
		"/usr/local/lib/node_modules/npm/bin/npm-cli.js": "#!/usr/bin/env node",
		"/app/package.json": `{"name":"app","dependencies":{"express":"^4.16.0","pug":"2.0.0"},"devDependencies":{"nodemon":"1"}}`}
	centos := map[string]string{"/usr/bin/yum": "#!/usr/bin/python"}
	placeholder := func(file, pkg, cmd string) string {
		return "#!/bin/sh\n# layerlab: a placeholder for " + file + " from the package " + pkg + " (simulated by `" + cmd + "`)\necho 'layerlab: " + file + " is a placeholder: packages are simulated in the playground' >&2\nexit 1\n"
	}
	tests := []struct {
		name        string
		extra       map[string]string
		dir         string
		script, out string
		code        int
		files       map[string]string
		modes       map[string]int64
	}{
		{name: "apk add --no-cache", extra: alpine(), script: "apk add --no-cache tini",
			out:   "simulated: apk add tini — files are placeholders\n",
			files: map[string]string{"/sbin/tini": placeholder("tini", "tini", "apk add")}, modes: map[string]int64{"/sbin/tini": 0o755}},
		{name: "apk update and versions", extra: alpine(), script: "apk update && apk add curl=8.0.1-r0 ca-certificates",
			out:   "simulated: apk update — nothing to do offline\nsimulated: apk add curl=8.0.1-r0 ca-certificates — files are placeholders\n",
			files: map[string]string{"/usr/bin/curl": placeholder("curl", "curl", "apk add")}, modes: map[string]int64{"/etc/ssl/certs/ca-certificates.crt": 0o644}},
		{name: "apk not in the image", script: "apk add tini 2>&1 | head -1", out: "/bin/sh: apk: not found\n"},
		{name: "apt-get update and install", extra: debian, script: "apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*",
			out:   "simulated: apt-get update — package lists are placeholders\nsimulated: apt-get install curl — files are placeholders\n",
			files: map[string]string{"/usr/bin/curl": placeholder("curl", "curl", "apt-get install"), "/var/lib/apt/lists/layerlab-simulated_Packages": "<missing>"}},
		{name: "apt-get install without -y", extra: debian, script: "apt-get install curl", out: "Do you want to continue? [Y/n] Abort.\n", code: 1},
		{name: "apt-get -qq", extra: debian, script: "apt-get -qq install git", out: "simulated: apt-get install git — files are placeholders\n"},
		{name: "pip -r", extra: debian, dir: "/app", script: "printf 'flask==2.0\\n# c\\nrequests>=2\\n' > requirements.txt && pip install --no-cache-dir -r requirements.txt",
			out:   "simulated: pip install flask==2.0 requests>=2 — files are placeholders\n",
			files: map[string]string{"/usr/local/lib/python3.12/site-packages/flask/__init__.py": "# layerlab: a placeholder: packages are simulated in the playground\n"}},
		{name: "npm install and cache clean (the Node.js assignment)", extra: node, dir: "/app", script: "npm install && npm cache clean --force",
			out:   "simulated: npm install (express nodemon pug) — files are placeholders\nsimulated: npm cache clean --force — nothing was cached\n",
			files: map[string]string{"/app/node_modules/express/package.json": "{\"description\":\"layerlab placeholder: packages are simulated in the playground\",\"name\":\"express\"}\n"}},
		{name: "npm ci without a lock file", extra: node, dir: "/app", script: "npm ci",
			out: "layerlab: npm ci needs a package-lock.json (or npm-shrinkwrap.json) in /app, as npm does; npm install makes one\n", code: 1},
		{name: "npm cache clean without --force (npm 3)", extra: node, script: "npm cache clean", out: "simulated: npm cache clean — nothing was cached\n"},
		{name: "apt-get unknown operation (as apt-get)", extra: debian, script: "apt-get frobnicate", out: "E: Invalid operation frobnicate\n", code: 100},
		{name: "pip missing requirements file (as pip 23)", extra: debian, script: "pip install -r nope.txt", out: "ERROR: Could not open requirements file: [Errno 2] No such file or directory: 'nope.txt'\n", code: 1},
		{name: "yum", extra: centos, script: "yum install -y httpd && yum clean all",
			out: "simulated: yum install httpd — files are placeholders\nsimulated: yum clean — nothing to do offline\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := baseFS(t, tc.extra)
			script := tc.script
			if tc.dir != "" {
				script = "mkdir -p " + tc.dir + " && cd " + tc.dir + " && " + script
			}
			out, code := run(t, f, 0, script)
			expectRun(t, f, out, code, tc.out, tc.code, tc.files)
			for p, want := range tc.modes {
				if got := stat(f, p).mode; got != want {
					t.Errorf("%s mode: got %o; want %o", p, got, want)
				}
			}
		})
	}
}
