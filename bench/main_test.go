package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPrintWasmSize(t *testing.T) {
	for _, tc := range []struct {
		br   int
		want string
	}{
		{3_400_000, "wasm size  2.00 MB  1.00 MB  3.40 MB  at most 3.50 MB: met"},
		{3_600_000, "wasm size  2.00 MB  1.00 MB  3.60 MB  at most 3.50 MB: over by 0.10 MB"},
	} {
		dir := t.TempDir()
		for name, n := range map[string]int{"layerlab-AB.wasm": 2_000_000, "layerlab-AB.wasm.gz": 1_000_000, "layerlab-AB.wasm.br": tc.br} {
			if err := os.WriteFile(filepath.Join(dir, name), make([]byte, n), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		var b bytes.Buffer
		if err := printWasmSize(&b, dir); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(b.String()), "\n")
		if got := lines[len(lines)-1]; got != tc.want {
			t.Errorf("got %q; want %q", got, tc.want)
		}
	}
	if err := printWasmSize(&bytes.Buffer{}, t.TempDir()); err == nil {
		t.Errorf("an empty site: got no error; want one")
	}
}
