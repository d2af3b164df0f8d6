package lesson_test

import (
	"context"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/layerlab/layerlab/core/build"
	"github.com/layerlab/layerlab/core/lesson"
	"github.com/layerlab/layerlab/core/registry"
	"github.com/layerlab/layerlab/core/store"
	"github.com/layerlab/layerlab/core/term"
	"github.com/layerlab/layerlab/internal/testimage"
)

// fakeHub is lesson.Hub over a map (the practice hub's own listing is another package's;
// here only the check's logic is under test).
type fakeHub map[string]bool // repository -> private

func (h fakeHub) Repository(ctx context.Context, name string) (lesson.Repository, bool, error) {
	p, ok := h[name]
	return lesson.Repository{Name: name, Private: p}, ok, nil
}

func writeFile(t *testing.T, fsys term.FS, name, content string) {
	t.Helper()
	w, err := fsys.Create(context.Background(), term.Workspace+"/"+name)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(content))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func buildIt(t *testing.T, s store.Store, dockerfile string, files fstest.MapFS, tags ...string) {
	t.Helper()
	_, err := build.Build(context.Background(), s, build.Options{Dockerfile: []byte(dockerfile), Context: fs.FS(files), Tags: tags})
	if err != nil {
		t.Fatal(err)
	}
}

// TestCheckKinds evaluates every kind of check, passing and failing, against real state:
// images in a memory store, builds by core/build, a client config, a workspace.
func TestCheckKinds(t *testing.T) {
	ctx := context.Background()
	s := store.NewMemory()
	base := testimage.Image(10, "alpha", "bravo")
	testimage.Put(t, s, "docker.io/library/base:latest", base)
	child, err := mutate.AppendLayers(base, testimage.Layer("charlie", 10))
	if err != nil {
		t.Fatal(err)
	}
	testimage.Put(t, s, "docker.io/library/child:latest", child)
	testimage.Put(t, s, "docker.io/library/other:latest", testimage.Image(10, "delta"))
	cfgImg, err := mutate.Config(base, v1.Config{
		Cmd:          []string{"node", "index.js"},
		ExposedPorts: map[string]struct{}{"3000/tcp": {}},
		Env:          []string{"NODE_ENV=production"},
		WorkingDir:   "/usr/src/app",
	})
	if err != nil {
		t.Fatal(err)
	}
	testimage.Put(t, s, "docker.io/learner/app:latest", cfgImg)

	fsys := term.NewMemFS(term.Workspace, term.Home)
	writeFile(t, fsys, "Dockerfile", "FROM node:6-alpine\nEXPOSE 3000\n")

	cfg, _ := registry.ParseConfig(nil)
	cfg.Set("index.docker.io", "learner", "pw")
	b, _ := cfg.Marshal()
	if err := s.PutRecord(ctx, "config", "config.json", b); err != nil {
		t.Fatal(err)
	}

	st := &lesson.State{Store: s, Workspace: lesson.TermWorkspace(fsys), Hub: fakeHub{"learner/app": false, "learner/secret": true}}

	// two builds: the second changes b.txt, so step 1 (COPY a.txt; FROM scratch has no
	// number, as in BuildKit) is CACHED and step 2 (COPY b.txt) runs.
	df := "FROM scratch\nCOPY a.txt /a.txt\nCOPY b.txt /b.txt\n"
	buildIt(t, s, df, fstest.MapFS{"a.txt": {Data: []byte("a")}, "b.txt": {Data: []byte("1")}}, "built")
	buildIt(t, s, df, fstest.MapFS{"a.txt": {Data: []byte("a")}, "b.txt": {Data: []byte("2")}}, "built:v2")

	tests := []struct {
		check string
		pass  bool
		msg   string // a part of the message
	}{
		{"image base exists", true, "image base exists"},
		{"image docker.io/library/base:latest exists", true, "exists"},
		{"image nope exists", false, "there is no image nope yet"},
		{"not image nope exists", true, "there is no image nope"},
		{"not image base exists", false, "image base exists"},
		{"image ${USER}/app exists", true, "learner/app"},
		{"image child layers == 3", true, "has 3 layers"},
		{"image child layers >= 4", false, "has 3 layers; this step wants >= 4"},
		{"image base layers < 3", true, "2 layers"},
		{"image child shares a layer with base", true, "share layer"},
		{"image other shares a layer with base", false, "share no layer"},
		{"image child shares a layer with nope", false, "no image nope"},
		{"build succeeded", true, "succeeded"},
		{"build tagged built:v2", true, "tagged built:v2"},
		{"build tagged built", false, "not tagged built"},
		{"build step 1 cached", true, "step 1 of the last build was CACHED"},
		{"build step 2 cached", false, "[2/2] COPY b.txt /b.txt ran instead of being CACHED"},
		{"build step 2 ran", true, "step 2 of the last build ran"},
		{"build step 1 ran", false, "[1/2] COPY a.txt /a.txt was CACHED"},
		{"build steps 1..2 cached", false, "ran instead"},
		{"build steps 2..3 ran", false, "had no step 3 (it had 2)"},
		{"file Dockerfile exists", true, "exists"},
		{"file Dockerfile contains \"EXPOSE 3000\"", true, "contains"},
		{"file Dockerfile contains \"EXPOSE 80\\n\"", false, "does not contain"},
		{"file app/missing.txt exists", false, "no file app/missing.txt"},
		{"hub learner/app exists", true, "public repository learner/app"},
		{"hub ${USER}/app public", true, "public"},
		{"hub learner/app private", false, "is public; this step wants it private"},
		{"hub learner/secret private", true, "private"},
		{"hub learner/none exists", false, "has no repository learner/none"},
		{"logged in", true, "as learner"},
		{"logged out", false, "still holds credentials"},
		{"logged out registry.example.com", true, "no credentials for registry.example.com"},
		{"logged in docker.io", true, "Docker Hub"},
		{`config learner/app .Config.Cmd == ["node","index.js"]`, true, `["node","index.js"]`},
		{`config learner/app .Config.Cmd == ["npm","start"]`, false, `wants ["npm","start"]`},
		{"config learner/app .Config.ExposedPorts contains 3000/tcp", true, "contains 3000/tcp"},
		{"config learner/app .Config.ExposedPorts contains 80/tcp", false, "without 80/tcp"},
		{"config learner/app .Config.Env contains NODE_ENV=production", true, "contains"},
		{"config learner/app .Config.WorkingDir == /usr/src/app", true, "/usr/src/app"},
		{`config learner/app .Config.WorkingDir == "/usr/src/app"`, true, "/usr/src/app"},
		{"config learner/app .Config.WorkingDir contains src", true, "contains"},
		{"config learner/app .Config.Nothing == null", true, "null"},
		{"config nope .Config.Cmd == null", false, "no image nope"},
		{"not config learner/app .Config.Cmd == null", true, "node"},
	}
	for _, tc := range tests {
		t.Run(tc.check, func(t *testing.T) {
			c, err := lesson.ParseCheck(tc.check)
			if err != nil {
				t.Fatal(err)
			}
			r, err := c.Eval(ctx, st)
			if err != nil {
				t.Fatal(err)
			}
			if r.Passed != tc.pass || !strings.Contains(r.Message, tc.msg) {
				t.Errorf("got passed=%v %q; want passed=%v and a message with %q", r.Passed, r.Message, tc.pass, tc.msg)
			}
		})
	}
}

// TestCheckBeforeAnyBuild: build checks fail, without an error, when nothing was built, and
// a failed build is reported as such.
func TestCheckBeforeAnyBuild(t *testing.T) {
	ctx := context.Background()
	s := store.NewMemory()
	st := &lesson.State{Store: s}
	for _, line := range []string{"build succeeded", "build step 1 cached", "build tagged x"} {
		c, _ := lesson.ParseCheck(line)
		r, err := c.Eval(ctx, st)
		if err != nil || r.Passed || r.Message != "no build has run yet" {
			t.Errorf("%s: got %+v, %v; want a failure saying no build has run yet", line, r, err)
		}
	}
	_, err := build.Build(ctx, s, build.Options{Dockerfile: []byte("FROM scratch\nCOPY missing.txt /\n"), Context: fstest.MapFS{}})
	if err == nil {
		t.Fatal("building a COPY of a missing file succeeded")
	}
	c, _ := lesson.ParseCheck("build succeeded")
	r, err := c.Eval(ctx, st)
	if err != nil || r.Passed || !strings.HasPrefix(r.Message, "the last build failed: ") {
		t.Errorf("after a failed build: got %+v, %v; want a failure naming the build's error", r, err)
	}
	c, _ = lesson.ParseCheck("file Dockerfile exists")
	if r, err := c.Eval(ctx, st); err != nil || r.Passed || r.Message != "this playground has no workspace" {
		t.Errorf("without a workspace: got %+v, %v", r, err)
	}
	c, _ = lesson.ParseCheck("hub a/b exists")
	if r, err := c.Eval(ctx, st); err != nil || r.Passed || r.Message != "this playground has no practice hub" {
		t.Errorf("without a hub: got %+v, %v", r, err)
	}
}

// TestLastBuildRecord: core/build's record names each step with its cache outcome and layer.
func TestLastBuildRecord(t *testing.T) {
	ctx := context.Background()
	s := store.NewMemory()
	df := "FROM scratch\nCOPY a.txt /a.txt\n"
	files := fstest.MapFS{"a.txt": {Data: []byte("hello")}}
	buildIt(t, s, df, files, "x")
	lb, ok, err := lesson.LastBuild(ctx, &lesson.State{Store: s})
	if err != nil || !ok {
		t.Fatalf("got ok=%v err=%v; want the record", ok, err)
	}
	if len(lb.Steps) != 1 || lb.Total != 1 || lb.Steps[0].Cached || lb.Steps[0].DiffID == "" || lb.Steps[0].Name != "[1/1] COPY a.txt /a.txt" || lb.Image == "" {
		t.Errorf("first build: got %+v", lb)
	}
	buildIt(t, s, df, files, "x")
	lb, _, _ = lesson.LastBuild(ctx, &lesson.State{Store: s})
	if len(lb.Steps) != 1 || !lb.Steps[0].Cached {
		t.Errorf("rebuild: got %+v; want step 1 CACHED", lb)
	}
}

func TestParseCheckErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "empty check"},
		{"not", "empty check"},
		{"picture x exists", `unknown check "picture"`},
		{"image x", "write it as"},
		{"image x layers == many", "write it as"},
		{"image x layers ~ 3", "write it as"},
		{"build steps 3..2 cached", "give a step number or a range"},
		{"build steps 0 cached", "give a step number or a range"},
		{"build step x ran", "give a step number"},
		{"build went well", "write it as"},
		{"file /etc/passwd exists", "is absolute"},
		{"file ../x exists", "not a clean path"},
		{"file a contains", "write it as"},
		{`file a contains "unclosed`, "not closed"},
		{`file a contains "bad \q escape"`, "quoted text"},
		{"hub a/b secret", "write it as"},
		{"logged sideways", "write it as"},
		{"config x Config.Cmd == []", "write it as"},
		{"config x .Config..Cmd == []", "empty part"},
		{"image ${HOME}/x exists", "only ${USER}"},
		{"image ${USER exists", "only ${USER}"},
	}
	for _, tc := range tests {
		_, err := lesson.ParseCheck(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseCheck(%q): got %v; want an error with %q", tc.in, err, tc.want)
		}
	}
}

func TestHubList(t *testing.T) {
	ctx := context.Background()
	h := lesson.HubList(func(context.Context) ([]lesson.Repository, error) {
		return []lesson.Repository{{Name: "ada/app"}, {Name: "ada/secret", Private: true}}, nil
	})
	st := &lesson.State{Store: store.NewMemory(), Hub: h, User: "ada"}
	for line, want := range map[string]bool{"hub ${USER}/secret private": true, "hub ada/app private": false, "hub ada/app public": true, "hub ada/none exists": false} {
		c, _ := lesson.ParseCheck(line)
		if r, err := c.Eval(ctx, st); err != nil || r.Passed != want {
			t.Errorf("%s: got %+v, %v; want passed=%v", line, r, err, want)
		}
	}
}
