// Package layout is the on-disk store: a standard OCI image layout (oci-layout, index.json,
// blobs/sha256/<hex>) that skopeo, umoci, containerd and BuildKit read as it is. Each tag is
// an index.json entry whose org.opencontainers.image.ref.name and io.containerd.image.name
// annotations both hold the full normalized reference; untagged images are entries without
// them. layerlab's own state lives in the layerlab/ folder beside the layout: records
// (layerlab/records/<kind>/<escaped key>), temporary files (layerlab/tmp) and the lock file
// (layerlab/lock).
//
// Every write is atomic: data goes to a temporary file on the same filesystem, is fsynced
// and verified, then renamed into place, so a process killed at any point leaves either
// the old state or the new one. index.json is read, changed, checked and rewritten while
// an exclusive flock on layerlab/lock is held, so concurrent processes never lose updates.
//
// It is the one core package allowed to import os and syscall (it adapts the filesystem).
// It must not know about Docker's commands, references or printing, and must never touch
// the user's ~/.docker.
package layout
