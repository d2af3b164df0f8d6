// Package hub is the practice registry `layerlab serve` hosts at /v2/, standing in for
// Docker Hub when learners push: go-containerregistry's registry (blobs on disk) behind
// Docker Hub's auth flow — a 401 with a Bearer challenge, a token endpoint on the hub's own
// host (/hub/token), accounts created on first login (bcrypt-hashed passwords, creation
// rate-limited per client), anyone may pull, only USER may push to USER/*.
//
// It is an adapter package (net/http, os for its data directory; core/imports_test.go says
// so). It must not reach other registries: that is core/proxy's job.
package hub
