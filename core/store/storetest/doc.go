// Package storetest is the conformance suite every store.Store implementation passes:
// memory, the OCI layout on disk, and IndexedDB in the browser (run there by wasmbrowsertest).
package storetest
