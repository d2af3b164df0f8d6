package shell

import (
	"context"
	"fmt"
	"path"
	"strconv"
	"strings"
)

// shadow-utils' id ranges (Debian's /etc/login.defs).
const (
	sysIDMin = 100
	sysIDMax = 999
	idMin    = 1000
	idMax    = 60000
)

// freeID picks an id as shadow-utils does: system ids from the top of their range down,
// others one above the highest in use (or the lowest free when that overflows).
func freeID(used func(int) bool, system bool, inUse []int) int {
	if system {
		for id := sysIDMax; id >= sysIDMin; id-- {
			if !used(id) {
				return id
			}
		}
		return -1
	}
	high := idMin - 1
	for _, id := range inUse {
		if id >= idMin && id <= idMax && id > high {
			high = id
		}
	}
	if high < idMax {
		return high + 1
	}
	for id := idMin; id <= idMax; id++ {
		if !used(id) {
			return id
		}
	}
	return -1
}

// subIDCount is how many subordinate ids a new user gets (SUB_UID_COUNT).
const subIDCount = 65536

// nextSubID is the first id after the ranges file already hands out, from 100000
// (SUB_UID_MIN).
func nextSubID(a accounts, file string) int {
	next := 100000
	ls, _ := a.lines(file)
	for _, l := range ls {
		f := strings.Split(l, ":")
		if len(f) < 3 {
			continue
		}
		start, err1 := strconv.Atoi(f[1])
		count, err2 := strconv.Atoi(f[2])
		if err1 == nil && err2 == nil && start+count > next {
			next = start + count
		}
	}
	return next
}

func (a accounts) ids(file string) []int {
	ls, _ := a.lines(file)
	var out []int
	for _, l := range ls {
		if f := strings.Split(l, ":"); len(f) > 2 {
			if n, err := strconv.Atoi(f[2]); err == nil {
				out = append(out, n)
			}
		}
	}
	return out
}

// lockPasswd leaves /etc/.pwd.lock behind, as lckpwdf does.
func (a accounts) lockPasswd() {
	if _, err := a.e.FS.Lstat(a.ctx, "/etc/.pwd.lock"); err != nil {
		writeFile(a.ctx, a.e.FS, "/etc/.pwd.lock", nil, 0o600)
	}
}

// groupadd is shadow-utils': groupadd [-r] [-g GID] [-f] GROUP.
func groupadd(ctx context.Context, e *Env, args []string) int {
	o, ops, _ := getopt(e, args, "rg:fo", map[string]byte{"system": 'r', "gid=": 'g', "force": 'f', "non-unique": 'o'})
	if len(ops) != 1 {
		fmt.Fprintln(e.Stderr, "Usage: groupadd [options] GROUP")
		return 2
	}
	a := accounts{ctx: ctx, e: e, applet: "groupadd", copies: true}
	name := ops[0]
	if a.find("/etc/group", 0, name) != nil {
		if o.has("f") {
			return 0
		}
		e.Errorf("groupadd: group '%s' already exists", name)
		return 9
	}
	gid := -1
	if o.has("g") {
		n, err := strconv.Atoi(o.val('g'))
		if err != nil || n < 0 {
			e.Errorf("groupadd: invalid group ID '%s'", o.val('g'))
			return 3
		}
		if a.find("/etc/group", 2, strconv.Itoa(n)) != nil && !o.has("o") {
			if !o.has("f") {
				e.Errorf("groupadd: GID '%d' already exists", n)
				return 4
			}
		} else {
			gid = n
		}
	}
	if gid < 0 {
		gid = freeID(func(id int) bool { return a.find("/etc/group", 2, strconv.Itoa(id)) != nil }, o.has("r"), a.ids("/etc/group"))
	}
	a.lockPasswd()
	if a.update("/etc/group", nil, fmt.Sprintf("%s:x:%d:", name, gid)) != nil {
		return 10
	}
	a.update("/etc/gshadow", nil, name+":!::")
	return 0
}

// useradd is shadow-utils': useradd [-r] [-m|-M] [-u UID] [-g GROUP] [-G G1,G2] [-s SHELL]
// [-d HOME] [-c COMMENT] [-N] [-U] USER, with Debian's defaults (a group of the user's name,
// no home unless -m, the shell from /etc/default/useradd or /bin/sh).
func useradd(ctx context.Context, e *Env, args []string) int {
	o, ops, _ := getopt(e, args, "rmMu:g:G:s:d:c:NUlok:", map[string]byte{"system": 'r', "create-home": 'm',
		"no-create-home": 'M', "uid=": 'u', "gid=": 'g', "groups=": 'G', "shell=": 's', "home-dir=": 'd',
		"comment=": 'c', "no-user-group": 'N', "user-group": 'U', "no-log-init": 'l', "non-unique": 'o', "skel=": 'k'})
	if len(ops) != 1 {
		fmt.Fprintln(e.Stderr, "Usage: useradd [options] LOGIN")
		return 2
	}
	a := accounts{ctx: ctx, e: e, applet: "useradd", copies: true}
	name := ops[0]
	if a.find("/etc/passwd", 0, name) != nil {
		e.Errorf("useradd: user '%s' already exists", name)
		return 9
	}
	system := o.has("r")
	uid := -1
	if o.has("u") {
		n, err := strconv.Atoi(o.val('u'))
		if err != nil || n < 0 {
			e.Errorf("useradd: invalid user ID '%s'", o.val('u'))
			return 3
		}
		if a.find("/etc/passwd", 2, strconv.Itoa(n)) != nil && !o.has("o") {
			e.Errorf("useradd: UID %d is not unique", n)
			return 4
		}
		uid = n
	} else {
		uid = freeID(func(id int) bool { return a.find("/etc/passwd", 2, strconv.Itoa(id)) != nil }, system, a.ids("/etc/passwd"))
	}
	gid, newGroup := -1, false
	switch {
	case o.has("g"):
		g := o.val('g')
		f := a.find("/etc/group", 0, g)
		if n, err := strconv.Atoi(g); err == nil {
			f = a.find("/etc/group", 2, strconv.Itoa(n))
		}
		if f == nil {
			e.Errorf("useradd: group '%s' does not exist", g)
			return 6
		}
		gid, _ = strconv.Atoi(f[2])
	case o.has("N"):
		gid = 100 // USERS_GID
	default:
		if a.find("/etc/group", 0, name) != nil {
			e.Errorf("useradd: group %s exists - if you want to add this user to that group, use -g.", name)
			return 9
		}
		newGroup = true
		if a.find("/etc/group", 2, strconv.Itoa(uid)) == nil {
			gid = uid
		} else {
			gid = freeID(func(id int) bool { return a.find("/etc/group", 2, strconv.Itoa(id)) != nil }, system, a.ids("/etc/group"))
		}
	}
	home := "/home/" + name
	if o.has("d") {
		home = o.val('d')
	}
	shell := "/bin/sh"
	if d, err := readFile(ctx, e.FS, "/etc/default/useradd"); err == nil {
		for _, l := range strings.Split(string(d), "\n") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(l), "SHELL="); ok && v != "" {
				shell = v
			}
		}
	}
	if o.has("s") {
		shell = o.val('s')
	}
	var extra []string
	if o.has("G") {
		for _, g := range strings.Split(o.val('G'), ",") {
			if a.find("/etc/group", 0, g) == nil {
				e.Errorf("useradd: group '%s' does not exist", g)
				return 6
			}
			extra = append(extra, g)
		}
	}
	a.lockPasswd()
	if a.update("/etc/passwd", nil, fmt.Sprintf("%s:x:%d:%d:%s:%s:%s", name, uid, gid, o.val('c'), home, shell)) != nil {
		return 10
	}
	days := e.Now().Unix() / 86400
	if system {
		a.update("/etc/shadow", nil, fmt.Sprintf("%s:!:%d::::::", name, days))
	} else {
		a.update("/etc/shadow", nil, fmt.Sprintf("%s:!:%d:0:99999:7:::", name, days))
	}
	if newGroup {
		a.update("/etc/group", nil, fmt.Sprintf("%s:x:%d:", name, gid))
		a.update("/etc/gshadow", nil, name+":!::")
	}
	for _, g := range extra {
		addMember(a, name, g)
	}
	if !system {
		// Subordinate ids for rootless containers, where the image keeps the files.
		for _, f := range []string{"/etc/subuid", "/etc/subgid"} {
			if _, err := e.FS.Stat(ctx, f); err == nil {
				a.update(f, nil, fmt.Sprintf("%s:%d:%d", name, nextSubID(a, f), subIDCount))
			}
		}
	}
	if o.has("m") && !o.has("M") {
		p := e.Abs(home)
		if err := e.FS.Mkdir(ctx, p, 0o755); err != nil {
			e.Errorf("useradd: cannot create directory %s", home)
			return 12
		}
		e.FS.Chown(ctx, p, uid, gid)
		skel := "/etc/skel"
		if o.has("k") {
			skel = o.val('k')
		}
		if list, err := e.FS.ReadDir(ctx, e.Abs(skel)); err == nil {
			for _, c := range list {
				q := path.Join(p, c.Name)
				copyTree(ctx, e, path.Join(e.Abs(skel), c.Name), q, c, true)
				fi, _ := e.FS.Lstat(ctx, q)
				walk(ctx, e.FS, q, fi, true, func(r string, _ FileInfo) { e.FS.Lchown(ctx, r, uid, gid) })
			}
		}
	}
	return 0
}
