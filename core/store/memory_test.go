package store_test

import (
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/layerlab/layerlab/core/store"
	"github.com/layerlab/layerlab/core/store/storetest"
)

// corruptibleMemory lets the suite damage blobs behind the store's back.
type corruptibleMemory struct{ *store.Memory }

func (c corruptibleMemory) CorruptBlob(t *testing.T, d v1.Hash) {
	store.CorruptMemoryBlob(c.Memory, d)
}

var _ storetest.Corrupter = corruptibleMemory{}

func TestMemory(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return corruptibleMemory{store.NewMemory()} })
}
