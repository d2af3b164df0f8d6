package shell

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// LookupUser resolves "user[:group]" (names or numbers) against the image's /etc/passwd and
// /etc/group, as runc does for USER and chown does for its owner.
func LookupUser(ctx context.Context, fsys FS, spec string) (int, int, error) {
	u, g, hasGroup := strings.Cut(spec, ":")
	uid, gid := -1, -1
	if n, err := strconv.Atoi(u); err == nil {
		uid, gid = n, n
		if f := findEntry(ctx, fsys, "/etc/passwd", func(f []string) bool { return f[2] == u }); len(f) > 3 {
			gid, _ = strconv.Atoi(f[3])
		}
	} else if f := findEntry(ctx, fsys, "/etc/passwd", func(f []string) bool { return f[0] == u }); len(f) > 3 {
		uid, _ = strconv.Atoi(f[2])
		gid, _ = strconv.Atoi(f[3])
	} else {
		return 0, 0, fmt.Errorf("unable to find user %s: no matching entries in passwd file", u)
	}
	if hasGroup {
		if n, err := strconv.Atoi(g); err == nil {
			gid = n
		} else if f := findEntry(ctx, fsys, "/etc/group", func(f []string) bool { return f[0] == g }); len(f) > 2 {
			gid, _ = strconv.Atoi(f[2])
		} else {
			return 0, 0, fmt.Errorf("unable to find group %s: no matching entries in group file", g)
		}
	}
	return uid, gid, nil
}

// findEntry returns the fields of the first line of a passwd-style file that match.
func findEntry(ctx context.Context, fsys FS, file string, match func([]string) bool) []string {
	data, err := readFile(ctx, fsys, file)
	if err != nil {
		return nil
	}
	for _, line := range strings.Split(string(data), "\n") {
		fields := strings.Split(line, ":")
		if len(fields) >= 3 && match(fields) {
			return fields
		}
	}
	return nil
}
