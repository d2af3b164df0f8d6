package layer

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/klauspost/compress/gzip"

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
	return tarSize(src)
}

// tarSize is Size of an uncompressed tar.
func tarSize(src io.Reader) (int64, error) {
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

// DigestAndSize reads the uncompressed layer tar r to its end and returns its sha256 (the
// layer's diff_id) and Docker's size of it (as Size), in one pass. The size is -1 when the
// tar cannot be read as one; the digest is right either way.
func DigestAndSize(r io.Reader) (v1.Hash, int64, error) {
	h := store.NewSHA256()
	tee := io.TeeReader(r, h)
	n, err := tarSize(tee)
	if err != nil {
		n = -1
	}
	// the end-of-archive blocks and any padding after them are content too
	if _, err := io.Copy(io.Discard, tee); err != nil {
		return v1.Hash{}, 0, err
	}
	return v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(h.Sum(nil))}, n, nil
}

// Remember records n as the size of the layer diffID, so that DiffSize need not read the
// layer to work it out; pull and load call it with DigestAndSize's size.
func Remember(ctx context.Context, s store.Store, diffID v1.Hash, n int64) error {
	if n < 0 {
		return nil
	}
	if err := s.PutRecord(ctx, RecordKind, diffID.String(), []byte(strconv.FormatInt(n, 10))); err != nil {
		return fmt.Errorf("caching size of layer %s: %w", diffID, err)
	}
	return nil
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
	if err := Remember(ctx, s, diffID, n); err != nil {
		return 0, err
	}
	return n, nil
}
