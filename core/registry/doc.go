// Package registry moves images between a store.Store and registries: Pull and Push (with
// go-containerregistry's remote), Tags (for pull --all-tags), and the Docker client config
// that login and logout keep (Config, its Keychain). It plays the engine's part of `docker
// pull` / `docker push`: progress is a stream of Events the caller renders (core/cli prints
// Docker's text); nothing here prints.
//
// Layers stream into the store as they arrive, and their content is hashed uncompressed on
// the way (the diff_id the config must list). Every blob is verified before it is stored, and
// a pulled image is tagged only once all of its blobs are stored, so an interrupted pull
// leaves verified blobs and no tag and the next pull reuses them.
//
// It must not import net/http, os or syscall/js: the transport (native, the browser's fetch,
// the CORS proxy's RoundTripper) comes in as remote.Options from the caller.
package registry
