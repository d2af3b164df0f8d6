package shell

import (
	"fmt"
	"strings"
)

// opts are the options getopt found: each letter with the values it was given.
type opts map[byte][]string

// has reports whether any of the letters cs was given.
func (o opts) has(cs string) bool {
	for i := 0; i < len(cs); i++ {
		if _, ok := o[cs[i]]; ok {
			return true
		}
	}
	return false
}

// val is the last value given to letter c ("" if none).
func (o opts) val(c byte) string {
	v := o[c]
	if len(v) == 0 {
		return ""
	}
	return v[len(v)-1]
}

// getopt parses leading options as busybox's getopt32 does with musl (Alpine): letters
// grouped ("-rf"), a letter followed by ':' in spec takes a value ("-m 755", "-m755"), "--"
// and the first operand end the options. longs maps long options to letters
// ("no-cache": 'N'; "directory=": 'C' takes a value, also as --directory=DIR).
//
// An unknown option is an error in the Coreutils flavour ("invalid option -- 'z'", ok is
// false); busybox applets ignore options layerlab does not emulate, so that a build does
// not fail on a flag that would not change its files.
func getopt(e *Env, args []string, spec string, longs map[string]byte) (o opts, operands []string, ok bool) {
	return parseOpts(e, args, spec, longs, false)
}

// getoptAnywhere is getopt for commands that take options after operands too (tar's
// "tar cf out.tar dir -C /x", package managers' "apt-get install -y curl"), as GNU getopt
// permutes them.
func getoptAnywhere(e *Env, args []string, spec string, longs map[string]byte) (o opts, operands []string, ok bool) {
	return parseOpts(e, args, spec, longs, true)
}

func parseOpts(e *Env, args []string, spec string, longs map[string]byte, anywhere bool) (o opts, operands []string, ok bool) {
	o = opts{}
	name := args[0]
	args = args[1:]
	i := 0
	for ; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			i++
			break
		}
		if len(a) < 2 || a[0] != '-' {
			if anywhere {
				operands = append(operands, a)
				continue
			}
			break
		}
		if strings.HasPrefix(a, "--") {
			long, val, hasVal := strings.Cut(a[2:], "=")
			if c, known := longs[long+"="]; known {
				if !hasVal && i+1 < len(args) {
					i++
					val = args[i]
				}
				o[c] = append(o[c], val)
				continue
			}
			if c, known := longs[long]; known {
				o[c] = append(o[c], "")
				continue
			}
			if e.Flavour == Coreutils {
				fmt.Fprintf(e.Stderr, "%s: unrecognized option '%s'\n", name, a)
				return nil, nil, false
			}
			continue
		}
		for j := 1; j < len(a); j++ {
			c := a[j]
			k := strings.IndexByte(spec, c)
			if k < 0 || c == ':' {
				if e.Flavour == Coreutils {
					fmt.Fprintf(e.Stderr, "%s: invalid option -- '%c'\n", name, c)
					return nil, nil, false
				}
				o[c] = append(o[c], "")
				continue
			}
			if k+1 < len(spec) && spec[k+1] == ':' {
				v := a[j+1:]
				if v == "" && i+1 < len(args) {
					i++
					v = args[i]
				}
				o[c] = append(o[c], v)
				break
			}
			o[c] = append(o[c], "")
		}
	}
	return o, append(operands, args[i:]...), true
}
