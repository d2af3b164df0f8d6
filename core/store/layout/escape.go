package layout

import (
	"fmt"
	"strings"
)

// maxNameLen is the longest file name every filesystem layerlab runs on accepts.
const maxNameLen = 255

// escapeName turns a record kind or key into a file name that is safe on any filesystem:
// lowercase letters, digits, '-', '_' and (not leading) '.' stand for themselves; every
// other byte, uppercase letters included (case-insensitive filesystems), becomes %XX. The
// empty string becomes "%", which no other name escapes to.
func escapeName(s string) string {
	if s == "" {
		return "%"
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_', c == '.' && i > 0:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// unescapeName inverts escapeName; ok is false for names escapeName never produces
// (temporary files, litter), which callers skip.
func unescapeName(name string) (s string, ok bool) {
	if name == "%" {
		return "", true
	}
	if name == "" {
		return "", false
	}
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		if i+2 >= len(name) {
			return "", false
		}
		v, ok1 := unhex(name[i+1])
		w, ok2 := unhex(name[i+2])
		if !ok1 || !ok2 {
			return "", false
		}
		b.WriteByte(v<<4 | w)
		i += 2
	}
	s = b.String()
	if escapeName(s) != name {
		return "", false
	}
	return s, true
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
