package layer

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/layerlab/layerlab/core/store"
)

// RecordKind is the store record namespace DiffSize caches sizes in; keys are diff_ids.
const RecordKind = "layersize"

// Size returns Docker's size of the layer whose tar (plain or gzip-compressed) r yields.
//
// An entry replaced later in the same tar counts only once, with its last size; a hard link
// adds nothing (its inode is already counted through the entry it links to); whiteout files
// (.wh.NAME, .wh..wh..opq) are zero-sized as overlay2 stores them.
func Size(r io.Reader) (int64, error) {
	br := bufio.NewReader(r)
	head, _ := br.Peek(2)
	var src io.Reader = br
	if bytes.Equal(head, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return 0, fmt.Errorf("reading layer: %w", err)
		}
		defer zr.Close()
		src = zr
	}
	tr := tar.NewReader(src)
	sizes := map[string]int64{}
	var total int64
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, fmt.Errorf("reading layer tar: %w", err)
		}
		name := clean(h.Name)
		var n int64
		switch h.Typeflag {
		case tar.TypeReg, tar.TypeRegA, tar.TypeGNUSparse:
			n = h.Size
		case tar.TypeSymlink:
			n = int64(len(h.Linkname))
		case tar.TypeLink:
			// The link shares the inode of its target, counted when the target was read.
			n = 0
		default:
			// directories, devices, fifos: nothing Docker counts
			n = 0
		}
		if strings.HasPrefix(path.Base(name), ".wh.") {
			n = 0
		}
		if old, ok := sizes[name]; ok {
			total -= old
		}
		sizes[name] = n
		total += n
	}
	return total, nil
}

func clean(name string) string {
	return path.Clean("/" + name)
}

// DiffSize returns Docker's size of the layer with diff_id diffID whose blob is blob,
// computing it once and caching it in s under RecordKind.
func DiffSize(ctx context.Context, s store.Store, diffID v1.Hash, blob v1.Hash) (int64, error) {
	if b, err := s.Record(ctx, RecordKind, diffID.String()); err == nil {
		if n, err := strconv.ParseInt(string(b), 10, 64); err == nil && n >= 0 {
			return n, nil
		}
		// a damaged record is recomputed and replaced
	} else if !errors.Is(err, store.ErrNotFound) {
		return 0, fmt.Errorf("reading size record of layer %s: %w", diffID, err)
	}
	rc, err := s.OpenBlob(ctx, blob)
	if err != nil {
		return 0, fmt.Errorf("opening layer %s: %w", blob, err)
	}
	defer rc.Close()
	n, err := Size(rc)
	if err != nil {
		return 0, fmt.Errorf("layer %s: %w", blob, err)
	}
	// Drain so the store's verifying reader checks the digest before the size is trusted.
	if _, err := io.Copy(io.Discard, rc); err != nil {
		return 0, fmt.Errorf("layer %s: %w", blob, err)
	}
	if err := s.PutRecord(ctx, RecordKind, diffID.String(), []byte(strconv.FormatInt(n, 10))); err != nil {
		return 0, fmt.Errorf("caching size of layer %s: %w", diffID, err)
	}
	return n, nil
}
