// Package idbstore keeps the browser's state in IndexedDB: the image store (a store.Store that
// passes core/store/storetest in Chromium) and the learner's workspace (the files under
// /workspace and the home /root that commands name, a cli.Files). Everything persists across
// reloads and is shared by every tab of the origin.
//
// One database (default name "layerlab") holds five object stores:
//
//	blobs    "sha256:<hex>"        -> {size, id, n}      a blob, its bytes in n chunks named id
//	files    "/workspace/<path>"   -> {size, id, n, dir, mtime}
//	chunks   "<id>/<%08x index>"   -> Uint8Array          at most ChunkSize bytes each
//	meta     "index"               -> {version, entries}  the image index (JSON entries)
//	records  [kind, key]           -> Uint8Array
//
// Content is written in chunks under a fresh id first and becomes visible only when the small
// record naming the id is committed, so a tab closed mid-write leaves no half blob or file,
// only unnamed chunks that Open sweeps later. The index is compare-and-swapped: the
// transaction that writes it re-reads its version and checks that every blob the new index
// needs is present, in the same transaction, so neither another tab nor a concurrent
// DeleteBlob can slip in between. A QuotaExceededError becomes a *QuotaError saying how much
// space the origin uses and how to free some. A connection steps aside (closes, and says
// "reload this page") when a tab running a newer layerlab announces a newer database
// version, so that old tabs never block an upgrade.
//
// It owns the IndexedDB layout and must not hold docker logic or talk to the page: the bridge
// (package main in wasm/) calls it. Everything here is js/wasm only except this file.
package idbstore
