package lesson_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/layerlab/layerlab/core/lesson"
	"github.com/layerlab/layerlab/core/store"
	"github.com/layerlab/layerlab/core/term"
	"github.com/layerlab/layerlab/internal/peers"
	"github.com/layerlab/layerlab/internal/playground"
	"github.com/layerlab/layerlab/internal/standin"
	"github.com/layerlab/layerlab/internal/testimage"
)

// lessonsDir is where the course's lesson files live.
const lessonsDir = "../../web/lessons"

func loadCourse(t *testing.T) []*lesson.Lesson {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(lessonsDir, "*.md"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no lessons in %s (%v)", lessonsDir, err)
	}
	var ls []*lesson.Lesson
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		l, err := lesson.Parse("web/lessons/"+filepath.Base(f), b)
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
	}
	lesson.Sort(ls)
	return ls
}

// standIns are the official images the lessons use, as the tests make them.
func standIns(t *testing.T) map[string]v1.Image {
	t.Helper()
	imgs, err := standin.Images()
	if err != nil {
		t.Fatal(err)
	}
	return imgs
}

// registryHub is lesson.Hub over the practice hub's registry API: a repository exists when
// its tag list can be read. The practice hub has no private repositories yet, so Private is
// always false here.
type registryHub struct{ opts func() []remote.Option }

func (h registryHub) Repository(ctx context.Context, repo string) (lesson.Repository, bool, error) {
	r, err := name.NewRepository(repo)
	if err != nil {
		return lesson.Repository{}, false, err
	}
	_, err = remote.List(r, append(h.opts(), remote.WithContext(ctx))...)
	var te *transport.Error
	if errors.As(err, &te) && (te.StatusCode == http.StatusNotFound || te.StatusCode == http.StatusUnauthorized) {
		return lesson.Repository{}, false, nil
	}
	if err != nil {
		return lesson.Repository{}, false, err
	}
	return lesson.Repository{Name: repo}, true, nil
}

// startPlayground starts what `layerlab serve` gives the page: a Docker Hub stand-in (a real
// registry through the proxy, holding the stand-in images) and the practice hub.
func startPlayground(t *testing.T) playground.Playground {
	t.Helper()
	upstream := peers.StartRegistry(t, peers.RegistryOptions{})
	for ref, img := range standIns(t) {
		testimage.Push(t, img, upstream.Host+"/"+ref)
	}
	return playground.Start(t, upstream.Host)
}

// TestCourseShowMe walks every step of every lesson as a learner who only ever presses "show
// me": before the step its checks must fail (a step cannot be passed without doing it),
// after it they must pass, and at the end the lesson is finished.
func TestCourseShowMe(t *testing.T) {
	pg := startPlayground(t)
	for _, l := range loadCourse(t) {
		t.Run(l.ID, func(t *testing.T) {
			ctx := context.Background()
			s := store.NewMemory()
			fsys := term.NewMemFS(term.Workspace, term.Home)
			sh := term.New(fsys, s, term.WithRegistries(pg.Remote, pg.Hub), term.WithNow(func() time.Time { return time.Unix(1700000000, 0) }))
			st := &lesson.State{Store: s, Workspace: lesson.TermWorkspace(fsys), Hub: registryHub{pg.Hub}, User: "learner"}
			prog := lesson.NewMemory()
			for i := range l.Steps {
				step := &l.Steps[i]
				before, err := lesson.Complete(ctx, prog, l, i, st, true)
				if err != nil {
					t.Fatalf("step %d %q: checking before show me: %v", i, step.Title, err)
				}
				if before.Passed {
					t.Errorf("step %d %q: passed before it was done (%s)", i, step.Title, before.Message)
				}
				var out bytes.Buffer
				code, err := lesson.ShowMe(ctx, sh, fsys, step, st.User, term.IO{Stdout: &out, Stderr: &out})
				if err != nil || code != 0 {
					why := ""
					if strings.Contains(out.String(), ": not found\n") {
						why = " (a command RUN does not emulate: package managers need core/build's simulated installs, issue 4)"
					}
					t.Fatalf("step %d %q: show me: exit %d, %v%s\n%s", i, step.Title, code, err, why, out.String())
				}
				after, err := lesson.Complete(ctx, prog, l, i, st, true)
				if err != nil {
					t.Fatalf("step %d %q: %v", i, step.Title, err)
				}
				if !after.Passed {
					t.Fatalf("step %d %q: show me did not make it pass: %s\n%s", i, step.Title, after.Message, out.String())
				}
			}
			r, err := prog.Load(ctx, l.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !lesson.Finished(l, r) || len(r.Shown) != len(l.Steps) {
				t.Errorf("progress after every step: got %+v; want all %d steps done and shown", r, len(l.Steps))
			}
		})
	}
}

// TestCourseCoversTheSeed: one lesson per section of the course notes, in the course's order.
func TestCourseCoversTheSeed(t *testing.T) {
	want := []string{
		"What's In An Image",
		"Docker Hub Registry Images",
		"Images and Their Layers",
		"Image Tagging and Pushing to Docker Hub",
		"Dockerfile Basics",
		"Running Docker Builds",
		"Extending Official Image",
		"Assignment: Build Your Own Dockerfile",
	}
	ls := loadCourse(t)
	if len(ls) != len(want) {
		t.Fatalf("got %d lessons; want %d", len(ls), len(want))
	}
	for i, l := range ls {
		if l.Section != want[i] {
			t.Errorf("lesson %d (%s): got section %q; want %q", i+1, l.ID, l.Section, want[i])
		}
	}
}
