package build_test

import (
	"context"
	"encoding/json"
	"testing"
	"testing/fstest"
	"time"

	"github.com/layerlab/layerlab/core/build"
	"github.com/layerlab/layerlab/core/store"
	"github.com/layerlab/layerlab/internal/buildkitpeer"
	"github.com/layerlab/layerlab/internal/testimage"
)

// FuzzBuild runs arbitrary Dockerfiles through parse and build: errors are fine; panics,
// hangs and a store left inconsistent are not.
func FuzzBuild(f *testing.F) {
	seeds := []string{
		"FROM busybox\nCOPY a.txt /\n",
		"FROM busybox AS b\nWORKDIR /x\nRUN echo hi > f && ls\nFROM scratch\nCOPY --from=b /x /y\n",
		"ARG X=1\nFROM busybox\nENV A=$X\nRUN for i in 1 2; do mkdir -p d$i; done\n",
		"FROM busybox\nADD a.txt /a/\nCOPY <<EOF /h\nhi\nEOF\nRUN sed -i 's/h/H/' /h\n",
		"FROM busybox\nRUN cat /etc/passwd | grep root | cut -d: -f1 | sort | uniq -c > /u\n",
		"FROM busybox\nUSER nobody\nRUN touch /tmp/x && chmod 600 /tmp/x\n",
		"FROM busybox AS t\nRUN mkdir /o\nFROM busybox\nRUN --mount=type=cache,target=/c,mode=0700,uid=5 --mount=from=t,source=/o,target=/m,rw --mount=type=tmpfs,target=/tmp ls /c /m > /l\n",
		"FROM busybox\nRUN --mount=type=bind,source=a.txt,target=/etc/a --network=none cat /etc/a\nRUN <<EOF\n#!/bin/sh\necho x > /x\nEOF\n",
		"FROM busybox\nCOPY --link --exclude=*.txt --chmod=u+x,go=r . /app/\nCOPY --parents d/./b.txt a.txt /p/\n",
		"FROM busybox AS a\nCOPY --from=b /x /\nFROM busybox AS b\nCOPY --from=a /x /\n",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	img, err := buildkitpeer.BusyboxImage()
	if err != nil {
		f.Fatal(err)
	}
	base := store.NewMemory()
	testimage.Put(f, base, buildkitpeer.BaseRef, img)
	ctxFS := fstest.MapFS{"a.txt": {Data: []byte("a\n"), Mode: 0o644}, "d/b.txt": {Data: []byte("b\n"), Mode: 0o600}}
	build.RunTimeout = 2 * time.Second
	f.Fuzz(func(t *testing.T, df string) {
		s := store.NewMemory()
		ctx := context.Background()
		blobs, _ := base.Blobs(ctx)
		for _, d := range blobs {
			b, _ := store.ReadBlob(ctx, base, d)
			store.PutBytes(ctx, s, b)
		}
		idx, _ := base.Index(ctx)
		s.UpdateIndex(ctx, func([]store.Entry) ([]store.Entry, error) { return idx, nil })
		res, err := build.Build(ctx, s, build.Options{Dockerfile: []byte(df), Context: ctxFS,
			BuildArgs: map[string]string{"SOURCE_DATE_EPOCH": "0"}, Tags: []string{"fuzz"}})
		if err != nil {
			return
		}
		if _, err := store.ReadBlob(ctx, s, res.Config); err != nil {
			t.Fatalf("built image's config is missing: %v", err)
		}
	})
}

// FuzzRunScript runs arbitrary shell scripts through the emulated RUN.
func FuzzRunScript(f *testing.F) {
	for _, s := range []string{"head -c -5 /etc/passwd", "tail -n -3 /etc/passwd", "cut -c 3-1 /etc/group", "sed 's/a/\\9/' /etc/passwd", "find / -maxdepth -1", "xargs -n 0 echo < /etc/group", "ln -s / /x && ls /x/x/x", "cp -r /etc /etc/sub", "mv /tmp /tmp/x", "tr -s a-z < /etc/passwd"} {
		f.Add(s)
	}
	img, err := buildkitpeer.BusyboxImage()
	if err != nil {
		f.Fatal(err)
	}
	base := store.NewMemory()
	testimage.Put(f, base, buildkitpeer.BaseRef, img)
	build.RunTimeout = 2 * time.Second
	f.Fuzz(func(t *testing.T, script string) {
		df := "FROM busybox\nRUN [\"/bin/sh\", \"-c\", " + strconvQuote(script) + "]\n"
		build.Build(context.Background(), base, build.Options{Dockerfile: []byte(df), BuildArgs: map[string]string{"SOURCE_DATE_EPOCH": "0"}})
	})
}

func strconvQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
