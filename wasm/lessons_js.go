//go:build js && wasm

package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"syscall/js"
	"unicode/utf8"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/layerlab/layerlab/core/lesson"
	"github.com/layerlab/layerlab/core/proxy/client"
	"github.com/layerlab/layerlab/core/registry"
	"github.com/layerlab/layerlab/core/share"
	"github.com/layerlab/layerlab/core/term"
	"github.com/layerlab/layerlab/wasm/idbstore"
	"github.com/layerlab/layerlab/web/lessons"
)

// course is the embedded lessons plus those a teacher opened (layerlab.loadLesson).
type course struct {
	mu    sync.Mutex
	list  []*lesson.Lesson
	err   error
	added map[string]*lesson.Lesson
}

func (c *course) all() ([]*lesson.Lesson, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.list == nil && c.err == nil {
		c.list, c.err = lesson.LoadFS(lessons.FS, ".")
	}
	out := append([]*lesson.Lesson(nil), c.list...)
	for _, l := range c.added {
		out = append(out, l)
	}
	lesson.Sort(out)
	return out, c.err
}

func (c *course) find(id string) (*lesson.Lesson, error) {
	ls, _ := c.all()
	for _, l := range ls {
		if l.ID == id {
			return l, nil
		}
	}
	return nil, fmt.Errorf("there is no lesson %q", id)
}

// installLessons adds the lesson and build link functions (docs/api.md) to api.
func installLessons(api js.Value, session func() (*session, error)) {
	c := &course{added: map[string]*lesson.Lesson{}}
	export(api, "lessons", func(args []js.Value) (js.Value, error) {
		ls, err := c.all()
		if err != nil && len(ls) == 0 {
			return js.Undefined(), err
		}
		user := optString(args, 0, "user")
		if user == "" { // the Docker ID the learner logged in with, as checks read it
			if s, err := session(); err == nil {
				user, _ = s.credentials(context.Background())
			}
		}
		out := make([]any, len(ls))
		for i, l := range ls {
			out[i] = lessonJS(l, user)
		}
		return js.ValueOf(out), nil
	})
	export(api, "loadLesson", func(args []js.Value) (js.Value, error) {
		if len(args) < 2 || args[0].Type() != js.TypeString || args[1].Type() != js.TypeString {
			return js.Undefined(), errors.New("layerlab.loadLesson: want the file name and its Markdown text")
		}
		l, err := lesson.Parse(args[0].String(), []byte(args[1].String()))
		if err != nil {
			return js.Undefined(), err
		}
		c.mu.Lock()
		c.added[l.ID] = l
		c.mu.Unlock()
		return js.ValueOf(lessonJS(l, optString(args, 2, "user"))), nil
	})
	export(api, "check", func(args []js.Value) (js.Value, error) {
		if len(args) < 2 || args[0].Type() != js.TypeString || args[1].Type() != js.TypeNumber {
			return js.Undefined(), errors.New("layerlab.check: want a lesson ID and a step index")
		}
		s, err := session()
		if err != nil {
			return js.Undefined(), err
		}
		l, err := c.find(args[0].String())
		if err != nil {
			return js.Undefined(), err
		}
		ctx := context.Background()
		shown := len(args) > 2 && args[2].Type() == js.TypeObject && args[2].Get("shown").Truthy()
		st := s.lessonState(ctx, optString(args, 2, "user"))
		p := lesson.StoreProgress{Store: s.store}
		res, err := lesson.Complete(ctx, p, l, args[1].Int(), st, shown)
		if err != nil {
			return js.Undefined(), err
		}
		rec, err := p.Load(ctx, l.ID)
		if err != nil {
			return js.Undefined(), err
		}
		return js.ValueOf(map[string]any{"passed": res.Passed, "message": res.Message, "finished": lesson.Finished(l, rec)}), nil
	})
	export(api, "progress", func(args []js.Value) (js.Value, error) {
		id, s, err := lessonArg("progress", args, session)
		if err != nil {
			return js.Undefined(), err
		}
		r, err := lesson.StoreProgress{Store: s.store}.Load(context.Background(), id)
		if err != nil {
			return js.Undefined(), err
		}
		return js.ValueOf(map[string]any{"done": ints(r.Done), "shown": ints(r.Shown)}), nil
	})
	export(api, "restartLesson", func(args []js.Value) (js.Value, error) {
		id, s, err := lessonArg("restartLesson", args, session)
		if err != nil {
			return js.Undefined(), err
		}
		return js.Undefined(), lesson.StoreProgress{Store: s.store}.Reset(context.Background(), id)
	})
	export(api, "shareLink", func(args []js.Value) (js.Value, error) {
		s, err := session()
		if err != nil {
			return js.Undefined(), err
		}
		fsys, err := s.termFS()
		if err != nil {
			return js.Undefined(), err
		}
		files, err := share.Collect(context.Background(), fsys, term.Workspace)
		if err != nil {
			return js.Undefined(), err
		}
		l := share.Link{Files: files, Lesson: optString(args, 0, "lesson")}
		if l.Lesson != "" {
			if v := args[0].Get("step"); v.Type() == js.TypeNumber {
				l.Step = v.Int()
			}
		}
		frag, err := share.Encode(l)
		if err != nil {
			return js.Undefined(), err
		}
		base := optString(args, 0, "base")
		if loc := js.Global().Get("location"); base == "" && !loc.IsUndefined() && !loc.IsNull() {
			// in the Web Worker, location is the worker script's: the page is the site's root
			base = loc.Get("origin").String() + "/"
			if !js.Global().Get("document").IsUndefined() {
				base = loc.Get("origin").String() + loc.Get("pathname").String()
			}
		}
		if i := strings.IndexByte(base, '#'); i >= 0 {
			base = base[:i]
		}
		return js.ValueOf(base + "#" + frag), nil
	})
	export(api, "openShareLink", func(args []js.Value) (js.Value, error) {
		if len(args) < 1 || args[0].Type() != js.TypeString {
			return js.Undefined(), errors.New("layerlab.openShareLink: want the link or its fragment")
		}
		in := args[0].String()
		if i := strings.IndexByte(in, '#'); i >= 0 {
			in = in[i+1:]
		}
		l, err := share.Decode(in)
		if err != nil {
			return js.Undefined(), err
		}
		files := js.Global().Get("Object").New()
		for _, f := range l.Files {
			if utf8.Valid(f.Data) {
				files.Set(f.Path, string(f.Data))
				continue
			}
			a := js.Global().Get("Uint8Array").New(len(f.Data))
			js.CopyBytesToJS(a, f.Data)
			files.Set(f.Path, a)
		}
		out := js.Global().Get("Object").New()
		out.Set("files", files)
		if l.Lesson != "" {
			out.Set("lesson", l.Lesson)
			out.Set("step", l.Step)
		}
		return out, nil
	})
}

func lessonArg(fn string, args []js.Value, session func() (*session, error)) (string, *session, error) {
	if len(args) < 1 || args[0].Type() != js.TypeString {
		return "", nil, fmt.Errorf("layerlab.%s: want a lesson ID", fn)
	}
	s, err := session()
	return args[0].String(), s, err
}

func optString(args []js.Value, i int, key string) string {
	if len(args) <= i || args[i].Type() != js.TypeObject {
		return ""
	}
	if v := args[i].Get(key); v.Type() == js.TypeString {
		return v.String()
	}
	return ""
}

func ints(v []int) []any {
	out := make([]any, len(v))
	for i, n := range v {
		out[i] = n
	}
	return out
}

func lessonJS(l *lesson.Lesson, user string) map[string]any {
	steps := make([]any, len(l.Steps))
	for i, s := range l.Steps {
		cmds := make([]any, len(s.Commands))
		for j, c := range s.Commands {
			cmds[j] = lesson.Expand(c, user)
		}
		// an object whose keys keep the lesson's order (a Go map's would not)
		files := js.Global().Get("Object").New()
		for _, f := range s.Files {
			files.Set(f.Path, lesson.Expand(f.Content, user))
		}
		var checks, hints []any
		for _, c := range s.Checks {
			checks = append(checks, c.Text)
		}
		for _, h := range s.Hints {
			hints = append(hints, h)
		}
		steps[i] = map[string]any{"title": s.Title, "text": lesson.Expand(s.Text, user), "commands": cmds, "files": files, "checks": checks, "hints": hints}
	}
	return map[string]any{"id": l.ID, "title": l.Title, "section": l.Section, "order": l.Order, "intro": l.Intro, "steps": steps}
}

// termFS is the session's workspace as the shell sees it.
func (s *session) termFS() (term.FS, error) {
	switch f := s.files.(type) {
	case *idbstore.Workspace:
		return workspaceFS{f}, nil
	case memFiles:
		return f.fs, nil
	}
	return nil, errors.New("this workspace cannot be listed")
}

// lessonState is what checks read: the store, the workspace, the practice hub of the
// page's server. user is the learner's Docker ID; by default the one config.json holds.
func (s *session) lessonState(ctx context.Context, user string) *lesson.State {
	st := &lesson.State{Store: s.store, Workspace: s.files, User: user}
	login, password := s.credentials(ctx)
	if st.User == "" {
		st.User = login
	}
	if h := pageHub(js.Global()); h != nil {
		st.Hub = h
		if login != "" {
			// logged in: the hub's repository API lists the learner's private repositories too
			api := h.api
			st.Hub = lesson.HubList(func(ctx context.Context) ([]lesson.Repository, error) {
				repos, err := api.Repositories(ctx, login, password)
				if err != nil {
					return nil, err
				}
				out := make([]lesson.Repository, len(repos))
				for i, r := range repos {
					out[i] = lesson.Repository{Name: r.Name, Private: r.Private}
				}
				return out, nil
			})
		}
	}
	return st
}

// credentials are the Docker ID and password config.json keeps for Docker Hub (the practice
// hub); empty when logged out.
func (s *session) credentials(ctx context.Context) (login, password string) {
	if b, err := s.store.Record(ctx, "config", "config.json"); err == nil {
		if cfg, err := registry.ParseConfig(b); err == nil {
			login, password, _ = cfg.Lookup("index.docker.io")
		}
	}
	return login, password
}

// hubRepos is lesson.Hub over the practice hub's registry API for a learner who is not
// logged in: a repository exists when its tags can be listed, which only a public one's can
// anonymously. api is the hub's repository API, used when the learner is logged in.
type hubRepos struct {
	opts []remote.Option
	api  *client.HubAPI
}

func pageHub(global js.Value) *hubRepos {
	loc := global.Get("location")
	if loc.IsUndefined() || loc.IsNull() {
		return nil
	}
	base, err := url.Parse(loc.Get("origin").String())
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil
	}
	return &hubRepos{
		opts: []remote.Option{remote.WithTransport(&client.HostMap{Hosts: client.DockerHubHosts, Base: base, Next: http.DefaultTransport})},
		api:  &client.HubAPI{Base: base, Next: http.DefaultTransport},
	}
}

func (h *hubRepos) Repository(ctx context.Context, repo string) (lesson.Repository, bool, error) {
	r, err := name.NewRepository(repo)
	if err != nil {
		return lesson.Repository{}, false, fmt.Errorf("repository %q: %w", repo, err)
	}
	_, err = remote.List(r, append(h.opts, remote.WithContext(ctx))...)
	var te *transport.Error
	if errors.As(err, &te) && (te.StatusCode == http.StatusNotFound || te.StatusCode == http.StatusUnauthorized) {
		return lesson.Repository{}, false, nil
	}
	if err != nil {
		return lesson.Repository{}, false, err
	}
	return lesson.Repository{Name: repo}, true, nil
}
