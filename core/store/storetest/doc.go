// Package storetest is the conformance suite every store.Store implementation passes:
// memory, the OCI layout on disk, and IndexedDB in the browser (run there by wasmbrowsertest).
//
// It owns the behaviour all stores share: blob verification on write and read, the rules
// UpdateIndex enforces, concurrent updates, records and ErrNotFound. It must not import os
// or touch a filesystem (it runs under GOOS=js too); anything a medium needs to set up is
// done by the open function the implementation's test passes to Run, and optional test
// abilities (Corrupter) are found by type assertion on the store it returns.
package storetest
