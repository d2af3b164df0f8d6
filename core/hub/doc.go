// Package hub is the practice registry `layerlab serve` hosts at /v2/, standing in for
// Docker Hub when learners push: go-containerregistry's registry for blobs (on disk), its own
// manifest and repository store on disk (tags, visibility; every write a temporary file
// renamed into place, so a restart serves what was pushed and a failed write corrupts
// nothing), Docker Hub's auth flow — a 401 with a Bearer challenge, a token endpoint on the
// hub's own host (/hub/token), accounts created on first login (bcrypt-hashed passwords,
// creation rate-limited per client) — and a small repository API (/hub/api/, what Docker
// Hub's website does: create a repository, list, change visibility). Repositories are public
// unless created private first; only USER pulls USER's private repositories and only USER
// pushes to USER/*.
//
// It is an adapter package (net/http, os for its data directory; core/imports_test.go says
// so). It must not reach other registries: that is core/proxy's job.
package hub
