package hub

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// repoMeta is what the hub knows of one repository besides its blobs.
type repoMeta struct {
	Private bool      `json:"private"`
	Created time.Time `json:"created"`
	// Tags maps a tag to a manifest digest.
	Tags map[string]string `json:"tags"`
	// Manifests maps each manifest digest the repository holds to its media type; the bytes
	// are in DIR/manifests/sha256/<hex>, shared between repositories.
	Manifests map[string]string `json:"manifests"`
}

// repos keeps repositories in DIR/repos.json and manifests in DIR/manifests. Every change
// writes a temporary file and renames it over the old one, and a manifest's bytes are on
// disk before any record names them: a crash or a full disk leaves the previous state.
type repos struct {
	mu   sync.RWMutex
	dir  string
	m    map[string]*repoMeta
	now  func() time.Time
	sync bool // fsync files before renaming them (off in tests that do many writes)
}

type reposFile struct {
	Repositories map[string]*repoMeta `json:"repositories"`
}

func openRepos(dir string) (*repos, error) {
	r := &repos{dir: dir, m: map[string]*repoMeta{}, now: time.Now, sync: true}
	if err := os.MkdirAll(filepath.Join(dir, "manifests", "sha256"), 0o755); err != nil {
		return nil, fmt.Errorf("opening hub data %s: %w", dir, err)
	}
	b, err := os.ReadFile(r.file())
	if errors.Is(err, os.ErrNotExist) {
		return r, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading hub repositories: %w", err)
	}
	var f reposFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("reading hub repositories %s: %w (the file is left as it is: fix it, or move it aside to start with no repositories)", r.file(), err)
	}
	for name, m := range f.Repositories {
		if m.Tags == nil {
			m.Tags = map[string]string{}
		}
		if m.Manifests == nil {
			m.Manifests = map[string]string{}
		}
		r.m[name] = m
	}
	return r, nil
}

func (r *repos) file() string { return filepath.Join(r.dir, "repos.json") }

func (r *repos) manifestPath(digest string) string {
	return filepath.Join(r.dir, "manifests", "sha256", strings.TrimPrefix(digest, "sha256:"))
}

// save writes repos.json; the caller holds the write lock.
func (r *repos) save() error {
	b, err := json.MarshalIndent(reposFile{Repositories: r.m}, "", "  ")
	if err != nil {
		return err
	}
	if err := writeFileAtomic(r.file(), b, r.sync); err != nil {
		return fmt.Errorf("writing hub repositories: %w", err)
	}
	return nil
}

// writeFileAtomic writes b to a temporary file beside path and renames it to path.
func writeFileAtomic(path string, b []byte, doSync bool) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(b)
	if err == nil && doSync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o644)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

// Repo is one repository as the hub's API describes it.
type Repo struct {
	Name    string    `json:"name"`
	Private bool      `json:"private"`
	Created time.Time `json:"created"`
	Tags    []string  `json:"tags"`
}

func (r *repos) describe(name string, m *repoMeta) Repo {
	tags := make([]string, 0, len(m.Tags))
	for t := range m.Tags {
		tags = append(tags, t)
	}
	sort.Strings(tags)
	return Repo{Name: name, Private: m.Private, Created: m.Created.UTC(), Tags: tags}
}

// visible lists the repositories user may see (all public ones and user's own), by name.
func (r *repos) visible(user string) []Repo {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var out []Repo
	for name, m := range r.m {
		if !m.Private || (user != "" && owner(name) == user) {
			out = append(out, r.describe(name, m))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// owner is the namespace of a repository name: "learner" for "learner/app".
func owner(repo string) string {
	o, _, _ := strings.Cut(repo, "/")
	return o
}

// canPull says whether user may pull repo: it is public, does not exist (the registry
// answers 404 then), or is user's own.
func (r *repos) canPull(repo, user string) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	m, ok := r.m[repo]
	return !ok || !m.Private || (user != "" && owner(repo) == user)
}

var (
	errRepoExists  = errors.New("repository already exists")
	errRepoUnknown = errors.New("repository does not exist")
)

// create makes an empty repository (what Docker Hub's "Create repository" does).
func (r *repos) create(name string, private bool) (Repo, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.m[name]; ok {
		return Repo{}, fmt.Errorf("creating %s: %w", name, errRepoExists)
	}
	m := &repoMeta{Private: private, Created: r.now().UTC(), Tags: map[string]string{}, Manifests: map[string]string{}}
	r.m[name] = m
	if err := r.save(); err != nil {
		delete(r.m, name)
		return Repo{}, err
	}
	return r.describe(name, m), nil
}

// setPrivate changes a repository's visibility.
func (r *repos) setPrivate(name string, private bool) (Repo, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	m, ok := r.m[name]
	if !ok {
		return Repo{}, fmt.Errorf("changing the visibility of %s: %w", name, errRepoUnknown)
	}
	old := m.Private
	m.Private = private
	if err := r.save(); err != nil {
		m.Private = old
		return Repo{}, err
	}
	return r.describe(name, m), nil
}

// manifest returns the bytes and media type of repo's manifest for a tag or digest.
func (r *repos) manifest(repo, target string) (b []byte, mediaType, digest string, err *regError) {
	r.mu.RLock()
	m, ok := r.m[repo]
	if !ok {
		r.mu.RUnlock()
		return nil, "", "", errNameUnknown
	}
	digest = target
	if !strings.HasPrefix(target, "sha256:") {
		digest, ok = m.Tags[target]
		if !ok {
			r.mu.RUnlock()
			return nil, "", "", errManifestUnknown
		}
	}
	mediaType, ok = m.Manifests[digest]
	r.mu.RUnlock()
	if !ok {
		return nil, "", "", errManifestUnknown
	}
	b, rerr := os.ReadFile(r.manifestPath(digest))
	if rerr != nil {
		return nil, "", "", &regError{500, "INTERNAL_SERVER_ERROR", "reading manifest " + digest + ": " + rerr.Error()}
	}
	return b, mediaType, digest, nil
}

// hasManifest reports whether repo holds the manifest digest.
func (r *repos) hasManifest(repo, digest string) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	m, ok := r.m[repo]
	if !ok {
		return false
	}
	_, ok = m.Manifests[digest]
	return ok
}

// putManifest stores b under its digest and, when target is a tag, points the tag at it.
// A repository pushed to for the first time is created public.
func (r *repos) putManifest(repo, target, mediaType string, b []byte) (string, error) {
	sum := sha256.Sum256(b)
	digest := "sha256:" + hex.EncodeToString(sum[:])
	p := r.manifestPath(digest)
	if _, err := os.Stat(p); err != nil {
		if err := writeFileAtomic(p, b, r.sync); err != nil {
			return "", fmt.Errorf("writing manifest %s: %w", digest, err)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	m, existed := r.m[repo]
	if !existed {
		m = &repoMeta{Created: r.now().UTC(), Tags: map[string]string{}, Manifests: map[string]string{}}
		r.m[repo] = m
	}
	oldType, hadManifest := m.Manifests[digest]
	oldTag, hadTag := "", false
	m.Manifests[digest] = mediaType
	if !strings.HasPrefix(target, "sha256:") {
		oldTag, hadTag = m.Tags[target]
		m.Tags[target] = digest
	}
	if err := r.save(); err != nil {
		// put the record back as it was
		switch {
		case !existed:
			delete(r.m, repo)
		default:
			if hadManifest {
				m.Manifests[digest] = oldType
			} else {
				delete(m.Manifests, digest)
			}
			if hadTag {
				m.Tags[target] = oldTag
			} else if !strings.HasPrefix(target, "sha256:") {
				delete(m.Tags, target)
			}
		}
		return "", err
	}
	return digest, nil
}

// deleteManifest removes a tag, or a digest and every tag pointing at it.
func (r *repos) deleteManifest(repo, target string) *regError {
	r.mu.Lock()
	defer r.mu.Unlock()
	m, ok := r.m[repo]
	if !ok {
		return errNameUnknown
	}
	oldTags := map[string]string{}
	for k, v := range m.Tags {
		oldTags[k] = v
	}
	oldType := ""
	if strings.HasPrefix(target, "sha256:") {
		t, ok := m.Manifests[target]
		if !ok {
			return errManifestUnknown
		}
		oldType = t
		delete(m.Manifests, target)
		for k, v := range m.Tags {
			if v == target {
				delete(m.Tags, k)
			}
		}
	} else {
		if _, ok := m.Tags[target]; !ok {
			return errManifestUnknown
		}
		delete(m.Tags, target)
	}
	if err := r.save(); err != nil {
		m.Tags = oldTags
		if oldType != "" {
			m.Manifests[target] = oldType
		}
		return &regError{500, "INTERNAL_SERVER_ERROR", err.Error()}
	}
	return nil
}

// tags lists repo's tags, sorted.
func (r *repos) tags(repo string) ([]string, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	m, ok := r.m[repo]
	if !ok {
		return nil, false
	}
	return r.describe(repo, m).Tags, true
}
