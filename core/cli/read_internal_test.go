package cli

import (
	"context"
	"os"
	"testing"

	"github.com/layerlab/layerlab/core/store"
	"github.com/layerlab/layerlab/core/view"
)

func loadCatalogForTest(ctx context.Context, s store.Store) (*view.Catalog, error) {
	return view.Load(ctx, s)
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
