package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// DigestMismatchError says that bytes offered or found for a blob do not hash to its digest.
type DigestMismatchError struct {
	Want, Got v1.Hash
}

func (e *DigestMismatchError) Error() string {
	return fmt.Sprintf("digest mismatch: expected %s, content hashes to %s", e.Want, e.Got)
}

// CheckAlgorithm refuses digests this store cannot verify.
func CheckAlgorithm(d v1.Hash) error {
	if d.Algorithm != "sha256" {
		return fmt.Errorf("unsupported digest algorithm %q in %s: only sha256 is supported", d.Algorithm, d)
	}
	if len(d.Hex) != 64 {
		return fmt.Errorf("invalid digest %s: a sha256 digest has 64 hex characters", d)
	}
	if _, err := hex.DecodeString(d.Hex); err != nil {
		return fmt.Errorf("invalid digest %s: %v", d, err)
	}
	return nil
}

// NewSHA256 makes the hash that blob digests and diff_ids are computed with: crypto/sha256's,
// except in the browser, where the wasm main sets one backed by WebCrypto before anything
// runs (Go's sha256 has no assembly in wasm). Set it only at start-up.
var NewSHA256 = sha256.New

// VerifyingReader hashes what it passes on; at EOF it returns a *DigestMismatchError
// instead of io.EOF when the bytes did not hash to want.
func VerifyingReader(r io.Reader, want v1.Hash) io.Reader {
	return &verifyingReader{r: r, h: NewSHA256(), want: want}
}

type verifyingReader struct {
	r    io.Reader
	h    hash.Hash
	want v1.Hash
	err  error
}

func (v *verifyingReader) Read(p []byte) (int, error) {
	if v.err != nil {
		return 0, v.err
	}
	n, err := v.r.Read(p)
	v.h.Write(p[:n])
	if err == io.EOF {
		got := v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(v.h.Sum(nil))}
		if got != v.want {
			v.err = &DigestMismatchError{Want: v.want, Got: got}
			return n, v.err
		}
		v.err = io.EOF
	}
	return n, err
}

// ReadBlob reads a whole blob, verified.
func ReadBlob(ctx context.Context, s Store, d v1.Hash) ([]byte, error) {
	rc, err := s.OpenBlob(ctx, d)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return nil, fmt.Errorf("reading blob %s: %w", d, err)
	}
	return b, nil
}

// PutBytes stores b and returns its digest.
func PutBytes(ctx context.Context, s Store, b []byte) (v1.Hash, error) {
	d, _, err := v1.SHA256(bytes.NewReader(b))
	if err != nil {
		return v1.Hash{}, err
	}
	return d, s.PutBlob(ctx, d, bytes.NewReader(b))
}

// manifestLike is the part of an image manifest or an index that names other blobs.
type manifestLike struct {
	MediaType types.MediaType  `json:"mediaType"`
	Config    *v1.Descriptor   `json:"config"`
	Layers    []v1.Descriptor  `json:"layers"`
	Manifests []v1.Descriptor  `json:"manifests"`
	FSLayers  []map[string]any `json:"fsLayers"`
}

// Children returns the blobs a manifest or index blob refers to directly: the config and
// layers of an image manifest, the child manifests of an index. Layers with
// non-distributable ("foreign") media types are not returned: Docker does not keep them.
func Children(manifest []byte) ([]v1.Descriptor, error) {
	var m manifestLike
	if err := json.Unmarshal(manifest, &m); err != nil {
		return nil, fmt.Errorf("parsing manifest: %w", err)
	}
	if m.FSLayers != nil {
		return nil, errors.New("schema 1 manifests are not supported")
	}
	var out []v1.Descriptor
	if m.Config != nil {
		out = append(out, *m.Config)
	}
	for _, l := range m.Layers {
		if !l.MediaType.IsDistributable() {
			continue
		}
		out = append(out, l)
	}
	out = append(out, m.Manifests...)
	return out, nil
}

// Closure returns every blob reachable from the descriptor d (d included). Child manifests
// of an index may be absent (an image pulled for one platform keeps the whole index but only
// that platform's manifest); every other missing blob is an error.
func Closure(ctx context.Context, s Store, d v1.Descriptor) ([]v1.Hash, error) {
	seen := map[v1.Hash]bool{}
	var out []v1.Hash
	var walk func(d v1.Descriptor, optional bool) error
	walk = func(d v1.Descriptor, optional bool) error {
		if seen[d.Digest] {
			return nil
		}
		if _, err := s.BlobSize(ctx, d.Digest); err != nil {
			if optional && errors.Is(err, ErrNotFound) {
				return nil
			}
			return fmt.Errorf("blob %s (%s) is missing: %w", d.Digest, d.MediaType, err)
		}
		seen[d.Digest] = true
		out = append(out, d.Digest)
		if !d.MediaType.IsIndex() && !d.MediaType.IsImage() {
			return nil
		}
		b, err := ReadBlob(ctx, s, d.Digest)
		if err != nil {
			return err
		}
		kids, err := Children(b)
		if err != nil {
			return fmt.Errorf("manifest %s: %w", d.Digest, err)
		}
		for _, k := range kids {
			if err := walk(k, d.MediaType.IsIndex()); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(d, false); err != nil {
		return nil, err
	}
	return out, nil
}

// CheckEntries verifies that every entry's manifest and the blobs it needs are present.
func CheckEntries(ctx context.Context, s Store, entries []Entry) error {
	done := map[v1.Hash]bool{}
	for _, e := range entries {
		if done[e.Descriptor.Digest] {
			continue
		}
		if err := CheckAlgorithm(e.Descriptor.Digest); err != nil {
			return err
		}
		if _, err := Closure(ctx, s, e.Descriptor); err != nil {
			name := e.Name
			if name == "" {
				name = e.Descriptor.Digest.String()
			}
			return fmt.Errorf("cannot index %s: %w", name, err)
		}
		done[e.Descriptor.Digest] = true
	}
	return nil
}
