// Package layout is, for now, a TEMPORARY stand-in (helper "web") for helper "store"'s OCI
// layout store so that cmd/layerlab compiles on the web branch: Open returns a memory store and
// keeps nothing on disk. The lead drops this file when merging the store branch.
package layout

import "github.com/layerlab/layerlab/core/store"

// Open opens the store rooted at dir. TEMPORARY: memory only.
func Open(dir string) (*store.Memory, error) {
	_ = dir
	return store.NewMemory(), nil
}
