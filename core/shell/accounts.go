package shell

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
)

func init() {
	register(map[string]Applet{
		"adduser": adduser, "addgroup": addgroup, "deluser": deluser, "delgroup": delgroup,
		"useradd": useradd, "groupadd": groupadd,
	})
}

// busybox's id ranges (Alpine's configuration is the default one).
const (
	firstSystemID = 100
	lastSystemID  = 999
	lastID        = 60000
)

// accounts reads and rewrites /etc/passwd, /etc/group and /etc/shadow as busybox's
// update_passwd does: FILE+ made with the old file's mode and owner, the old file kept as
// FILE- (a hard link), FILE+ renamed over FILE. A missing shadow file is skipped silently.
//
// shadow-utils (useradd, groupadd) keeps FILE- as a copy instead, with the old file's mode,
// owner and mtime.
type accounts struct {
	ctx    context.Context
	e      *Env
	applet string
	copies bool // shadow-utils' backups
}

func (a accounts) lines(file string) ([]string, error) {
	data, err := readFile(a.ctx, a.e.FS, file)
	if err != nil {
		return nil, err
	}
	s := strings.TrimSuffix(string(data), "\n")
	if s == "" {
		return nil, nil
	}
	return strings.Split(s, "\n"), nil
}

// find returns the fields of the entry whose field i is v.
func (a accounts) find(file string, i int, v string) []string {
	ls, _ := a.lines(file)
	for _, l := range ls {
		f := strings.Split(l, ":")
		if len(f) > i && f[i] == v {
			return f
		}
	}
	return nil
}

// update rewrites file line by line through edit (which returns the new line and whether
// it changed; "" with true deletes), appending add when nothing changed and add is set.
func (a accounts) update(file string, edit func(line string) (string, bool), add string) error {
	if a.copies && strings.Contains(file, "shadow") {
		if _, err := a.e.FS.Stat(a.ctx, file); err != nil {
			return nil
		}
	}
	p := file
	if target, err := a.e.FS.Readlink(a.ctx, p); err == nil {
		p = Abs(path.Dir(p), target)
	}
	fi, err := a.e.FS.Stat(a.ctx, p)
	if err != nil {
		if strings.Contains(file, "shadow") {
			return nil // "if file is missing we suppose admin doesn't want it"
		}
		a.e.Errorf("%s: %s: %s", a.applet, file, reason(err))
		return err
	}
	old, err := a.lines(p)
	if err != nil {
		return err
	}
	var out []string
	changed := 0
	for _, l := range old {
		if edit != nil {
			if nl, ok := edit(l); ok {
				changed++
				if nl != "" {
					out = append(out, nl)
				}
				continue
			}
		}
		out = append(out, l)
	}
	if changed == 0 && add != "" {
		out = append(out, add)
	}
	text := strings.Join(out, "\n")
	if len(out) > 0 {
		text += "\n"
	}
	tmp, backup := p+"+", p+"-"
	if err := writeFile(a.ctx, a.e.FS, tmp, []byte(text), 0o600); err != nil {
		return err
	}
	a.e.FS.Chmod(a.ctx, tmp, fi.Mode&fs.ModePerm)
	a.e.FS.Chown(a.ctx, tmp, fi.UID, fi.GID)
	a.e.FS.Remove(a.ctx, backup)
	if a.copies {
		data, _ := readFile(a.ctx, a.e.FS, p)
		if err := writeFile(a.ctx, a.e.FS, backup, data, 0o600); err == nil {
			a.e.FS.Chmod(a.ctx, backup, fi.Mode&fs.ModePerm)
			a.e.FS.Chown(a.ctx, backup, fi.UID, fi.GID)
			a.e.FS.Chtimes(a.ctx, backup, fi.ModTime)
		}
	} else if err := hardLink(a.ctx, a.e.FS, p, backup); err != nil {
		fmt.Fprintf(a.e.Stderr, "%s: warning: can't create backup copy '%s'\n", a.applet, backup)
	}
	return a.e.FS.Rename(a.ctx, tmp, p)
}

// entry matches the line "name:...".
func entry(name string) func(string) bool {
	return func(l string) bool { return strings.HasPrefix(l, name+":") }
}

func badName(name string) (string, bool) {
	for i := 0; i < len(name); i++ {
		c := name[i]
		ok := c == '_' || c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'z'
		if i > 0 && (c == '-' || c == '.' || c == '$' && i == len(name)-1) {
			ok = true
		}
		if !ok {
			return fmt.Sprintf("illegal character with code %d at position %d", c, i), true
		}
	}
	return "", false
}

// adduser is busybox's: adduser [-h DIR] [-g GECOS] [-s SHELL] [-G GRP] [-S] [-D] [-H]
// [-u UID] [-k SKEL] USER [GROUP].
func adduser(ctx context.Context, e *Env, args []string) int {
	o, ops, _ := getopt(e, args, "h:g:s:G:DSHu:k:", map[string]byte{"home=": 'h', "gecos=": 'g', "shell=": 's',
		"ingroup=": 'G', "disabled-password": 'D', "empty-password": 'D', "system": 'S', "no-create-home": 'H', "uid=": 'u', "skel=": 'k'})
	if e.UID != 0 {
		return e.Errorf("adduser: permission denied (are you root?)")
	}
	if len(ops) < 1 || len(ops) > 2 {
		return e.Errorf("BusyBox: adduser: USER [GROUP]")
	}
	a := accounts{ctx: ctx, e: e, applet: "adduser"}
	name := ops[0]
	if len(o) == 0 && len(ops) == 2 {
		return addMember(a, name, ops[1])
	}
	if msg, bad := badName(name); bad {
		return e.Errorf("adduser: %s", msg)
	}
	gecos, home, shell := "Linux User,,,", "/home/"+name, e.Getenv("SHELL")
	if shell == "" {
		if f := a.find("/etc/passwd", 2, strconv.Itoa(e.UID)); len(f) > 6 && f[6] != "" {
			shell = f[6]
		} else {
			shell = "/bin/sh"
		}
	}
	if o.has("g") {
		gecos = o.val('g')
	}
	if o.has("h") {
		home = o.val('h')
	}
	group := o.val('G')
	if o.has("S") {
		if group == "" {
			group = "nogroup"
		}
		if !o.has("s") {
			shell = "/bin/false"
		}
	}
	if o.has("s") {
		shell = o.val('s')
	}
	gid := -1
	if group != "" {
		if n, err := strconv.Atoi(group); err == nil {
			gid = n
		} else if f := a.find("/etc/group", 0, group); f != nil {
			gid, _ = strconv.Atoi(f[2])
		} else {
			return e.Errorf("adduser: unknown group %s", group)
		}
	}
	if a.find("/etc/passwd", 0, name) != nil {
		return e.Errorf("adduser: user '%s' in use", name)
	}
	uid, max := lastSystemID+1, lastID
	if o.has("S") {
		uid, max = firstSystemID, lastSystemID
	}
	if o.has("u") {
		n, err := strconv.Atoi(o.val('u'))
		if err != nil || n < 0 || n > lastID {
			return e.Errorf("adduser: invalid number '%s'", o.val('u'))
		}
		uid = n
	}
	for a.find("/etc/passwd", 2, strconv.Itoa(uid)) != nil || gid == -1 && a.find("/etc/group", 2, strconv.Itoa(uid)) != nil {
		if o.has("u") {
			return e.Errorf("adduser: uid '%d' in use", uid)
		}
		if uid == max {
			return e.Errorf("adduser: no uids left")
		}
		uid++
	}
	if gid == -1 {
		gid = uid
		if a.find("/etc/group", 0, name) != nil {
			return e.Errorf("adduser: group '%s' in use", name)
		}
	}
	if a.update("/etc/passwd", nil, fmt.Sprintf("%s:x:%d:%d:%s:%s:%s", name, uid, gid, gecos, home, shell)) != nil {
		return 1
	}
	days := e.Now().Unix() / 86400
	a.update("/etc/shadow", nil, fmt.Sprintf("%s:!:%d:0:99999:7:::", name, days))
	// busybox runs addgroup for this, which reports its own errors; adduser goes on.
	ga := accounts{ctx: ctx, e: e, applet: "addgroup"}
	if group != "" {
		addMember(ga, name, group)
	} else {
		newGroup(ga, name, gid, true, false)
	}
	if !o.has("H") {
		addHome(ctx, e, home, uid, gid, o)
	}
	if !o.has("D") && !o.has("S") {
		// busybox execs passwd, which reads the new password from stdin: a build has none.
		fmt.Fprintf(e.Stdout, "Changing password for %s\nNew password: \n", name)
		return e.Errorf("passwd: password for %s is unchanged", name)
	}
	return 0
}

// addHome makes the home directory as busybox's adduser does: mkdir 0755 with the umask
// cleared, /etc/skel copied in when new, everything chowned to the user, then mode 02755.
func addHome(ctx context.Context, e *Env, home string, uid, gid int, o opts) {
	p := e.Abs(home)
	err := e.FS.Mkdir(ctx, p, 0o755)
	if err == nil {
		e.FS.Chmod(ctx, p, 0o755)
		skel := "/etc/skel"
		if o.has("k") {
			skel = o.val('k')
		}
		if list, err := e.FS.ReadDir(ctx, e.Abs(skel)); err == nil {
			for _, c := range list {
				copyTree(ctx, e, path.Join(e.Abs(skel), c.Name), path.Join(p, c.Name), c, false)
			}
		} else if o.has("k") {
			e.Errorf("adduser: %s: %s", skel, reason(err))
		}
		fi, _ := e.FS.Stat(ctx, p)
		walk(ctx, e.FS, p, fi, true, func(q string, _ FileInfo) { e.FS.Lchown(ctx, q, uid, gid) })
	}
	if err != nil && !errors.Is(err, fs.ErrExist) {
		e.Errorf("adduser: %s: %s", home, reason(err))
		return
	}
	if e.FS.Chown(ctx, p, uid, gid) != nil || e.FS.Chmod(ctx, p, 0o755|fs.ModeSetgid) != nil {
		e.Errorf("adduser: %s: Operation not permitted", home)
	}
}

// addMember adds user to group's member list (addgroup USER GROUP).
func addMember(a accounts, user, group string) int {
	if a.find("/etc/passwd", 0, user) == nil {
		return a.e.Errorf("%s: unknown user %s", a.applet, user)
	}
	f := a.find("/etc/group", 0, group)
	if f == nil {
		return a.e.Errorf("%s: unknown group %s", a.applet, group)
	}
	if len(f) > 3 {
		for _, m := range strings.Split(f[3], ",") {
			if m == user {
				return 0
			}
		}
	}
	add := func(l string) (string, bool) {
		if !entry(group)(l) {
			return "", false
		}
		if strings.HasSuffix(l, ":") {
			return l + user, true
		}
		return l + "," + user, true
	}
	if a.update("/etc/group", add, "") != nil {
		return 1
	}
	a.update("/etc/gshadow", add, "")
	return 0
}

// newGroup adds group name; gid < 0 picks the first free one (from 100 with system, else
// from 1000), fixed says the gid was asked for (addgroup -g, adduser's own group).
func newGroup(a accounts, name string, gid int, fixed, system bool) int {
	if a.find("/etc/group", 0, name) != nil {
		return a.e.Errorf("%s: group '%s' in use", a.applet, name)
	}
	max := lastID
	if !fixed {
		gid = lastSystemID + 1
		if system {
			gid, max = firstSystemID, lastSystemID
		}
	}
	for a.find("/etc/group", 2, strconv.Itoa(gid)) != nil {
		if fixed {
			return a.e.Errorf("%s: gid '%d' in use", a.applet, gid)
		}
		if gid == max {
			return a.e.Errorf("%s: no gids left", a.applet)
		}
		gid++
	}
	if a.update("/etc/group", nil, fmt.Sprintf("%s:x:%d:", name, gid)) != nil {
		return 1
	}
	a.update("/etc/gshadow", nil, name+":!::")
	return 0
}

// addgroup is busybox's: addgroup [-g GID] [-S] GROUP, or addgroup USER GROUP.
func addgroup(ctx context.Context, e *Env, args []string) int {
	o, ops, _ := getopt(e, args, "g:S", map[string]byte{"gid=": 'g', "system": 'S'})
	if e.UID != 0 {
		return e.Errorf("addgroup: permission denied (are you root?)")
	}
	a := accounts{ctx: ctx, e: e, applet: "addgroup"}
	switch {
	case len(ops) == 2 && !o.has("g"):
		return addMember(a, ops[0], ops[1])
	case len(ops) != 1:
		return e.Errorf("BusyBox: addgroup: [-g GID] [-S] [USER] GROUP")
	}
	if msg, bad := badName(ops[0]); bad {
		return e.Errorf("addgroup: %s", msg)
	}
	gid := -1
	if o.has("g") {
		n, err := strconv.Atoi(o.val('g'))
		if err != nil || n < 0 || n > lastID {
			return e.Errorf("addgroup: invalid number '%s'", o.val('g'))
		}
		gid = n
	}
	return newGroup(a, ops[0], gid, o.has("g"), o.has("S"))
}

// deluser is busybox's: deluser [--remove-home] USER: the user's passwd and shadow lines,
// its membership of every group, and a group of the same name go.
func deluser(ctx context.Context, e *Env, args []string) int {
	o, ops, _ := getopt(e, args, "", map[string]byte{"remove-home": 'r'})
	if e.UID != 0 {
		return e.Errorf("deluser: permission denied (are you root?)")
	}
	if len(ops) != 1 {
		if len(ops) == 2 {
			return delMember(accounts{ctx: ctx, e: e, applet: "deluser"}, ops[0], ops[1])
		}
		return e.Errorf("BusyBox: deluser: USER")
	}
	a := accounts{ctx: ctx, e: e, applet: "deluser"}
	name := ops[0]
	f := a.find("/etc/passwd", 0, name)
	if f == nil {
		return e.Errorf("deluser: unknown user %s", name)
	}
	if o.has("r") && len(f) > 5 {
		if fi, err := e.FS.Stat(ctx, e.Abs(f[5])); err == nil && fi.IsDir() {
			removeAll(ctx, e.FS, e.Abs(f[5]), fi)
		}
	}
	del := func(l string) (string, bool) { return "", entry(name)(l) }
	if a.update("/etc/passwd", del, "") != nil {
		return 1
	}
	a.update("/etc/shadow", del, "")
	// From every group's member list.
	a.update("/etc/group", func(l string) (string, bool) { return dropMember(l, name) }, "")
	if a.find("/etc/group", 0, name) != nil {
		return delGroupLine(a, name)
	}
	return 0
}

// dropMember removes user from a group line's member list.
func dropMember(l, user string) (string, bool) {
	f := strings.Split(l, ":")
	if len(f) < 4 {
		return "", false
	}
	ms := strings.Split(f[3], ",")
	kept := ms[:0]
	for _, m := range ms {
		if m != user {
			kept = append(kept, m)
		}
	}
	if len(kept) == len(ms) {
		return "", false
	}
	f[3] = strings.Join(kept, ",")
	return strings.Join(f, ":"), true
}

func delMember(a accounts, user, group string) int {
	if a.find("/etc/group", 0, group) == nil {
		return a.e.Errorf("%s: unknown group %s", a.applet, group)
	}
	edit := func(l string) (string, bool) {
		if !entry(group)(l) {
			return "", false
		}
		return dropMember(l, user)
	}
	if a.update("/etc/group", edit, "") != nil {
		return 1
	}
	a.update("/etc/gshadow", edit, "")
	return 0
}

func delGroupLine(a accounts, name string) int {
	g := a.find("/etc/group", 0, name)
	if ls, _ := a.lines("/etc/passwd"); g != nil {
		for _, l := range ls {
			if f := strings.Split(l, ":"); len(f) > 3 && f[3] == g[2] {
				return a.e.Errorf("%s: '%s' still has '%s' as their primary group!", a.applet, f[0], name)
			}
		}
	}
	del := func(l string) (string, bool) { return "", entry(name)(l) }
	if a.update("/etc/group", del, "") != nil {
		return 1
	}
	a.update("/etc/gshadow", del, "")
	return 0
}

// delgroup is busybox's: delgroup GROUP, or delgroup USER GROUP.
func delgroup(ctx context.Context, e *Env, args []string) int {
	_, ops, _ := getopt(e, args, "", nil)
	a := accounts{ctx: ctx, e: e, applet: "delgroup"}
	switch len(ops) {
	case 1:
		if a.find("/etc/group", 0, ops[0]) == nil {
			return e.Errorf("delgroup: unknown group %s", ops[0])
		}
		return delGroupLine(a, ops[0])
	case 2:
		return delMember(a, ops[0], ops[1])
	}
	return e.Errorf("BusyBox: delgroup: [USER] GROUP")
}
