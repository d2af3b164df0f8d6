package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/distribution/reference"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/spf13/pflag"

	"github.com/layerlab/layerlab/core/archive"
	"github.com/layerlab/layerlab/core/store"
	"github.com/layerlab/layerlab/core/view"
)

// The tar formats are core/archive's; these variables let a test see what the command layer
// hands them.
var (
	loadArchive = archive.Load
	saveArchive = func(ctx context.Context, s store.Store, w io.Writer, images []archive.SaveImage, now time.Time) error {
		return archive.Save(ctx, s, w, images, archive.WithTime(now))
	}
)

func saveSpec() spec {
	return spec{
		use:     "save [OPTIONS] IMAGE [IMAGE...]",
		short:   "Save one or more images to a tar archive (streamed to STDOUT by default)",
		aliases: "docker image save, docker save",
		args:    minArgs(1),
		flags: func(fs *pflag.FlagSet) {
			fs.StringP("output", "o", "", "Write to a file, instead of STDOUT")
		},
		run: runSave,
	}
}

func runSave(ctx context.Context, env *Env, fs *pflag.FlagSet, args []string) error {
	output, _ := fs.GetString("output")
	cat, err := view.Load(ctx, env.Store)
	if err != nil {
		return err
	}
	var images []archive.SaveImage
	index := map[v1.Hash]int{}
	for _, a := range args {
		im, err := lookupImage(cat, a)
		if err != nil {
			return err
		}
		i, ok := index[im.ID]
		if !ok {
			i = len(images)
			index[im.ID] = i
			images = append(images, archive.SaveImage{Manifest: im.Manifest})
		}
		byID := len(a) <= len(im.ID.String()) && (im.ID.String()[:len(a)] == a || im.ID.Hex[:min(len(a), len(im.ID.Hex))] == a)
		if !byID {
			if n, err := parseDaemonRef(a); err == nil {
				images[i].Names = append(images[i].Names, reference.TagNameOnly(n).String())
			}
		}
	}
	if output == "" {
		return saveArchive(ctx, env.Store, env.Stdout, images, env.now())
	}
	if env.Files == nil {
		return errors.New("failed to save image: no file system to write " + output + " to")
	}
	w, err := env.Files.Create(output)
	if err != nil {
		return fmt.Errorf("failed to save image: %w", err)
	}
	if err := saveArchive(ctx, env.Store, w, images, env.now()); err != nil {
		return errors.Join(err, closeAbort(w))
	}
	return w.Close()
}

// closeAbort closes a half-written output. Files.Create promises the name appears only on a
// nil Close; an aborter, if the writer has one, discards it explicitly.
func closeAbort(w io.WriteCloser) error {
	if a, ok := w.(interface{ Abort() error }); ok {
		return a.Abort()
	}
	return nil
}

func loadSpec() spec {
	return spec{
		use:     "load [OPTIONS]",
		short:   "Load an image from a tar archive or STDIN",
		aliases: "docker image load, docker load",
		args:    noArgs(),
		flags: func(fs *pflag.FlagSet) {
			fs.StringP("input", "i", "", "Read from tar archive file, instead of STDIN")
			fs.BoolP("quiet", "q", false, "Suppress the load output")
		},
		run: runLoad,
	}
}

func runLoad(ctx context.Context, env *Env, fs *pflag.FlagSet, _ []string) error {
	input, _ := fs.GetString("input")
	var (
		r    io.ReaderAt
		size int64
	)
	if input == "" {
		if env.Stdin == nil {
			return errors.New("requested load from stdin, but stdin is empty")
		}
		b, err := io.ReadAll(env.Stdin)
		if err != nil {
			return fmt.Errorf("reading stdin: %w", err)
		}
		if len(b) == 0 {
			return errors.New("requested load from stdin, but stdin is empty")
		}
		r, size = bytes.NewReader(b), int64(len(b))
	} else {
		if env.Files == nil {
			return fmt.Errorf("open %s: no file system", input)
		}
		f, err := env.Files.Open(input)
		if err != nil {
			return err
		}
		defer f.Close()
		r, size = f, f.Size()
	}
	loaded, err := loadArchive(ctx, env.Store, r, size)
	if err != nil {
		return daemonError{err}
	}
	// Engine 20.10 prints "Loaded image: NAME" per name, and, when the archive's last image
	// had no name, "Loaded image ID: ..." for every image loaded (a quirk of its loop, kept).
	var ids []v1.Hash
	lastUnnamed := false
	for i, l := range loaded {
		if i == 0 || l.ID != loaded[i-1].ID {
			ids = append(ids, l.ID)
			lastUnnamed = true
		}
		if l.Name != "" {
			lastUnnamed = false
			if (l.Replaced != v1.Hash{}) {
				fmt.Fprintf(env.Stdout, "The image %s already exists, renaming the old one with ID %s to empty string\n", view.Familiar(l.Name), l.Replaced)
			}
			fmt.Fprintf(env.Stdout, "Loaded image: %s\n", view.Familiar(l.Name))
		}
	}
	if lastUnnamed {
		for _, id := range ids {
			fmt.Fprintf(env.Stdout, "Loaded image ID: %s\n", id)
		}
	}
	return nil
}
