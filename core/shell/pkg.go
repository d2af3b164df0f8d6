package shell

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"
)

// Package managers are simulated: the playground has no network to fetch packages from, so
// install commands put a placeholder where the package's main program would be and say so
// on one line of the step's output. They run only where the image has the package manager
// (like any command, it must be on PATH), so an image without apk fails as a real build.
func init() {
	register(map[string]Applet{
		"apk": apk, "apt-get": aptGet, "apt": aptGet, "yum": yum, "dnf": yum,
		"npm": npm, "pip": pip, "pip3": pip,
	})
	for _, n := range []string{"apk", "apt-get", "apt", "yum", "dnf", "npm", "pip", "pip3",
		"adduser", "addgroup", "deluser", "delgroup", "useradd", "groupadd"} {
		imageOnly[n] = true
	}
}

// imageOnly are the applets that only make sense inside an image: the terminal does not run
// them.
var imageOnly = map[string]bool{}

// mainProgram is where a package puts its main program, for the packages Dockerfiles of
// the course install most (others: /usr/bin/NAME).
var mainProgram = map[string]map[string]string{
	"apk": {"tini": "/sbin/tini", "ca-certificates": "/etc/ssl/certs/ca-certificates.crt", "nodejs": "/usr/bin/node",
		"python3": "/usr/bin/python3", "build-base": "/usr/bin/gcc", "openssh": "/usr/bin/ssh", "openssl": "/usr/bin/openssl"},
	"apt-get": {"ca-certificates": "/etc/ssl/certs/ca-certificates.crt", "nodejs": "/usr/bin/node", "build-essential": "/usr/bin/gcc",
		"python3": "/usr/bin/python3", "openssh-client": "/usr/bin/ssh", "iputils-ping": "/usr/bin/ping", "netcat-openbsd": "/usr/bin/nc",
		"procps": "/usr/bin/ps", "dnsutils": "/usr/bin/dig"},
	"yum": {"ca-certificates": "/etc/pki/tls/certs/ca-bundle.crt", "nodejs": "/usr/bin/node", "python3": "/usr/bin/python3"},
}

// pkgName strips a version constraint: tini=0.19.0-r0, curl>=7, flask==2.0, pkg@1.2.
func pkgName(s string) string {
	if i := strings.IndexAny(s, "=<>~!"); i > 0 {
		s = s[:i]
	}
	if i := strings.LastIndex(s, "@"); i > 0 {
		s = s[:i]
	}
	return s
}

func simulated(e *Env, line, what string) {
	fmt.Fprintf(e.Stdout, "simulated: %s — %s\n", line, what)
}

// placeholder writes the file a package would have, saying what it stands for.
func placeholder(ctx context.Context, e *Env, p, pkg, cmd string, exec bool) error {
	if err := mkdirAll(ctx, e, path.Dir(p)); err != nil {
		return err
	}
	body := fmt.Sprintf("#!/bin/sh\n# layerlab: a placeholder for %s from the package %s (simulated by `%s`)\necho 'layerlab: %s is a placeholder: packages are simulated in the playground' >&2\nexit 1\n", path.Base(p), pkg, cmd, path.Base(p))
	mode := 0o644
	if exec {
		mode = 0o755
	}
	if err := writeFile(ctx, e.FS, p, []byte(body), 0o666); err != nil {
		return err
	}
	return e.FS.Chmod(ctx, p, fileMode(int64(mode)))
}

// install puts a placeholder for each package of manager.
func install(ctx context.Context, e *Env, manager, cmd string, pkgs []string) int {
	for _, raw := range pkgs {
		name := pkgName(raw)
		p, ok := mainProgram[manager][name]
		if !ok {
			p = "/usr/bin/" + name
		}
		exec := !strings.HasPrefix(p, "/etc/")
		if err := placeholder(ctx, e, p, name, cmd, exec); err != nil {
			return e.Errorf("%s: %s: %s", manager, p, reason(err))
		}
	}
	return 0
}

func apk(ctx context.Context, e *Env, args []string) int {
	_, ops, _ := getoptAnywhere(e, args, "t:X:p:Uqv", map[string]byte{"virtual=": 't', "repository=": 'X', "root=": 'p',
		"no-cache": 'N', "update": 'U', "quiet": 'q', "no-progress": 'P'})
	sub, ops := subcommand(ops)
	switch sub {
	case "add":
		if len(ops) == 0 {
			return e.Errorf("apk: add: no packages given")
		}
		simulated(e, "apk add "+strings.Join(ops, " "), "files are placeholders")
		return install(ctx, e, "apk", "apk add", ops)
	case "update", "upgrade", "cache":
		simulated(e, "apk "+sub, "nothing to do offline")
		return 0
	case "del":
		simulated(e, "apk del "+strings.Join(ops, " "), "placeholders removed")
		return remove(ctx, e, "apk", ops)
	case "info", "search", "version":
		simulated(e, "apk "+sub, "no package index offline")
		return 0
	}
	return e.Errorf("apk: %s: not simulated in layerlab (add, del, update, upgrade are)", sub)
}

func remove(ctx context.Context, e *Env, manager string, pkgs []string) int {
	for _, raw := range pkgs {
		name := pkgName(raw)
		p, ok := mainProgram[manager][name]
		if !ok {
			p = "/usr/bin/" + name
		}
		if _, err := e.FS.Lstat(ctx, p); err == nil {
			e.FS.Remove(ctx, p)
		}
	}
	return 0
}

func aptGet(ctx context.Context, e *Env, args []string) int {
	name := args[0]
	o, ops, _ := getoptAnywhere(e, args, "yqo:t:c:fm", map[string]byte{"yes": 'y', "assume-yes": 'y',
		"no-install-recommends": 'R', "no-install-suggests": 'S', "quiet": 'q', "fix-missing": 'm', "target-release=": 't'})
	sub, ops := subcommand(ops)
	switch sub {
	case "update":
		simulated(e, name+" update", "package lists are placeholders")
		return placeholderList(ctx, e)
	case "install":
		if len(ops) == 0 {
			simulated(e, name+" install", "nothing to install")
			return 0
		}
		if !o.has("y") && len(o['q']) < 2 && o.val('q') != "2" {
			// apt-get asks before installing; a build has no one to answer.
			fmt.Fprintln(e.Stdout, "Do you want to continue? [Y/n] Abort.")
			return 1
		}
		simulated(e, name+" install "+strings.Join(ops, " "), "files are placeholders")
		return install(ctx, e, "apt-get", name+" install", ops)
	case "remove", "purge":
		simulated(e, name+" "+sub+" "+strings.Join(ops, " "), "placeholders removed")
		return remove(ctx, e, "apt-get", ops)
	case "upgrade", "dist-upgrade", "clean", "autoremove", "autoclean":
		simulated(e, name+" "+sub, "nothing to do offline")
		return 0
	}
	e.Errorf("E: Invalid operation %s", sub)
	return 100
}

// subcommand splits a package manager's operands into its subcommand and the rest.
func subcommand(ops []string) (string, []string) {
	if len(ops) == 0 {
		return "", nil
	}
	return ops[0], ops[1:]
}

// placeholderList stands for what apt-get update downloads into /var/lib/apt/lists.
func placeholderList(ctx context.Context, e *Env) int {
	dir := "/var/lib/apt/lists"
	if err := mkdirAll(ctx, e, dir); err != nil {
		return e.Errorf("E: Could not open lock file %s/lock - open (2: %s)", dir, reason(err))
	}
	if err := writeFile(ctx, e.FS, dir+"/layerlab-simulated_Packages", []byte("# layerlab: a placeholder for the package lists apt-get update downloads\n"), 0o666); err != nil {
		return e.Errorf("E: %s", reason(err))
	}
	return 0
}

func yum(ctx context.Context, e *Env, args []string) int {
	name := args[0]
	o, ops, _ := getoptAnywhere(e, args, "yqc:", map[string]byte{"assumeyes": 'y', "quiet": 'q'})
	sub, ops := subcommand(ops)
	switch sub {
	case "install":
		if !o.has("y") {
			fmt.Fprintln(e.Stdout, "Is this ok [y/N]: Operation aborted.")
			return 1
		}
		simulated(e, name+" install "+strings.Join(ops, " "), "files are placeholders")
		return install(ctx, e, "yum", name+" install", ops)
	case "remove", "erase":
		simulated(e, name+" "+sub+" "+strings.Join(ops, " "), "placeholders removed")
		return remove(ctx, e, "yum", ops)
	case "update", "upgrade", "clean", "makecache":
		simulated(e, name+" "+sub, "nothing to do offline")
		return 0
	}
	return e.Errorf("layerlab: %s %s is not simulated (install, remove, update, clean are)", args[0], sub)
}

// npm install / ci put each dependency of package.json (or those named) under
// node_modules as a placeholder package.
func npm(ctx context.Context, e *Env, args []string) int {
	o, ops, _ := getoptAnywhere(e, args, "gDSPf", map[string]byte{"global": 'g', "force": 'f', "production": 'P',
		"omit=": 'O', "prefix=": 'p', "save": 'S', "save-dev": 'D', "no-audit": 'A', "no-fund": 'F', "silent": 's', "quiet": 'q'})
	sub, ops := subcommand(ops)
	switch sub {
	case "install", "i", "ci", "add":
		global := o.has("g")
		deps := ops
		if len(ops) == 0 {
			var err error
			if deps, err = packageDeps(ctx, e, sub == "ci", o.has("P") || o.val('O') == "dev"); err != nil {
				return e.Errorf("%v", err)
			}
		}
		line := "npm " + sub
		if len(ops) > 0 {
			line += " " + strings.Join(ops, " ")
		} else if len(deps) > 0 {
			line += " (" + strings.Join(deps, " ") + ")"
		}
		simulated(e, line, "files are placeholders")
		root := path.Join(e.Dir, "node_modules")
		if global {
			root = "/usr/local/lib/node_modules"
		}
		for _, d := range deps {
			name := pkgName(d)
			meta, _ := json.Marshal(map[string]string{"name": name, "description": "layerlab placeholder: packages are simulated in the playground"})
			if err := mkdirAll(ctx, e, path.Join(root, name)); err != nil {
				return e.Errorf("layerlab: npm: %s", reason(err))
			}
			if err := writeFile(ctx, e.FS, path.Join(root, name, "package.json"), append(meta, '\n'), 0o666); err != nil {
				return e.Errorf("layerlab: npm: %s", reason(err))
			}
			if global {
				if err := placeholder(ctx, e, "/usr/local/bin/"+name, name, "npm install -g", true); err != nil {
					return e.Errorf("layerlab: npm: %s", reason(err))
				}
			}
		}
		return 0
	case "cache":
		if len(ops) > 0 && ops[0] == "clean" {
			// npm 5 and later refuse without --force; npm 3 (node:6 images) does not: the
			// image's npm version is unknown here, so both are accepted.
			line := "npm cache clean"
			if o.has("f") {
				line += " --force"
			}
			simulated(e, line, "nothing was cached")
			return 0
		}
		simulated(e, "npm cache "+strings.Join(ops, " "), "nothing was cached")
		return 0
	case "prune", "dedupe", "audit", "config", "set":
		simulated(e, "npm "+sub, "nothing to do offline")
		return 0
	}
	return e.Errorf("layerlab: npm %s runs node, which the playground cannot run (npm install, ci and cache clean are simulated)", sub)
}

func packageDeps(ctx context.Context, e *Env, ci, prod bool) ([]string, error) {
	if ci {
		if _, err := e.FS.Stat(ctx, e.Abs("package-lock.json")); err != nil {
			if _, err := e.FS.Stat(ctx, e.Abs("npm-shrinkwrap.json")); err != nil {
				return nil, fmt.Errorf("layerlab: npm ci needs a package-lock.json (or npm-shrinkwrap.json) in %s, as npm does; npm install makes one", e.Dir)
			}
		}
	}
	data, err := readFile(ctx, e.FS, e.Abs("package.json"))
	if err != nil {
		return nil, fmt.Errorf("layerlab: npm found no package.json in %s", e.Dir)
	}
	var pkg struct {
		Dependencies    map[string]string `json:"dependencies"`
		DevDependencies map[string]string `json:"devDependencies"`
	}
	if err := json.Unmarshal(data, &pkg); err != nil {
		return nil, fmt.Errorf("layerlab: npm could not read package.json: %v", err)
	}
	var deps []string
	for d := range pkg.Dependencies {
		deps = append(deps, d)
	}
	if !prod {
		for d := range pkg.DevDependencies {
			deps = append(deps, d)
		}
	}
	sort.Strings(deps)
	return deps, nil
}

// pip install puts each requirement (named, or read from -r FILE) in site-packages as a
// placeholder module.
func pip(ctx context.Context, e *Env, args []string) int {
	o, ops, _ := getoptAnywhere(e, args, "r:i:c:t:Uqe:", map[string]byte{"requirement=": 'r', "index-url=": 'i',
		"constraint=": 'c', "target=": 't', "upgrade": 'U', "no-cache-dir": 'N', "quiet": 'q', "user": 'u', "editable=": 'e'})
	sub, ops := subcommand(ops)
	switch sub {
	case "install":
		reqs := ops
		for _, f := range o['r'] {
			data, err := readFile(ctx, e.FS, e.Abs(f))
			if err != nil {
				return e.Errorf("ERROR: Could not open requirements file: [Errno 2] No such file or directory: '%s'", f)
			}
			for _, l := range strings.Split(string(data), "\n") {
				l = strings.TrimSpace(strings.SplitN(l, "#", 2)[0])
				if l != "" && !strings.HasPrefix(l, "-") {
					reqs = append(reqs, l)
				}
			}
		}
		if len(reqs) == 0 {
			return e.Errorf("ERROR: You must give at least one requirement to install (see \"pip help install\")")
		}
		simulated(e, args[0]+" install "+strings.Join(reqs, " "), "files are placeholders")
		site := sitePackages(ctx, e)
		for _, r := range reqs {
			name := strings.ToLower(strings.ReplaceAll(pkgName(strings.Fields(r)[0]), "-", "_"))
			if i := strings.Index(name, "["); i > 0 {
				name = name[:i]
			}
			if err := mkdirAll(ctx, e, path.Join(site, name)); err != nil {
				return e.Errorf("ERROR: %s", reason(err))
			}
			body := "# layerlab: a placeholder: packages are simulated in the playground\n"
			if err := writeFile(ctx, e.FS, path.Join(site, name, "__init__.py"), []byte(body), 0o666); err != nil {
				return e.Errorf("ERROR: %s", reason(err))
			}
		}
		return 0
	case "cache", "freeze", "list":
		simulated(e, args[0]+" "+sub, "nothing to do offline")
		return 0
	}
	return e.Errorf("ERROR: unknown command \"%s\"", sub)
}

// sitePackages is the first python's site-packages directory in the image.
func sitePackages(ctx context.Context, e *Env) string {
	for _, base := range []string{"/usr/local/lib", "/usr/lib"} {
		list, _ := e.FS.ReadDir(ctx, base)
		for _, c := range list {
			if strings.HasPrefix(c.Name, "python3") && c.IsDir() {
				for _, sub := range []string{"site-packages", "dist-packages"} {
					p := path.Join(base, c.Name, sub)
					if fi, err := e.FS.Stat(ctx, p); err == nil && fi.IsDir() {
						return p
					}
				}
			}
		}
	}
	return "/usr/local/lib/python3/site-packages"
}
