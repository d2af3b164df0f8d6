package buildcheck

import (
	"slices"

	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// envList is llb.EnvList's behaviour without LLB: an immutable list where setting a key
// moves it to the end, so Keys lists keys in the order they were last set (which decides
// ties between equally close "did you mean" suggestions).
type envList struct {
	keys []string
	vals map[string]string
}

var _ shell.EnvGetter = (*envList)(nil)

func (e *envList) Get(k string) (string, bool) {
	if e == nil {
		return "", false
	}
	v, ok := e.vals[k]
	return v, ok
}

func (e *envList) Keys() []string {
	if e == nil {
		return nil
	}
	return e.keys
}

// with returns a new list with k set to v.
func (e *envList) with(k, v string) *envList {
	n := &envList{vals: map[string]string{}}
	if e != nil {
		for _, key := range e.keys {
			if key != k {
				n.keys = append(n.keys, key)
			}
		}
		for key, val := range e.vals {
			n.vals[key] = val
		}
	}
	n.keys = append(n.keys, k)
	n.vals[k] = v
	return n
}

func (e *envList) clone() *envList {
	if e == nil {
		return nil
	}
	n := &envList{keys: slices.Clone(e.keys), vals: make(map[string]string, len(e.vals))}
	for k, v := range e.vals {
		n.vals[k] = v
	}
	return n
}

func newLex(escape rune) *shell.Lex { return shell.NewLex(escape) }
