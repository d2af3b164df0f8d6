package build

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/klauspost/compress/gzip"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"

	"github.com/layerlab/layerlab/core/fsys"
	"github.com/layerlab/layerlab/core/store"
)

// MountKind is the store record namespace of RUN --mount=type=cache contents: one record per
// cache, keyed by its id, naming the blob (a gzipped tar) that holds the files. docker
// builder prune deletes them with the step records.
const MountKind = "buildcachemount"

// mountRecord is what the store keeps per cache mount.
type mountRecord struct {
	ID       string    `json:"id"`   // the mount's id= (default: its target)
	Blob     v1.Hash   `json:"blob"` // gzipped tar of the contents ("" digest when empty)
	Size     int64     `json:"size"` // bytes of the blob
	Root     fsys.Node `json:"root"` // the cache directory itself
	LastUsed time.Time `json:"lastUsed"`
	Created  time.Time `json:"created"`
	Desc     string    `json:"description"` // BuildKit's "cached mount /x from exec ..."
}

// runMount is one RUN --mount resolved: what appears at target while the command runs.
type runMount struct {
	typ      instructions.MountType
	target   string   // absolute, clean
	content  *fsys.FS // for bind, cache, tmpfs: the mounted tree ("" is the mount root)
	file     *fsys.Node
	cacheKey string // record key of a cache mount
	cacheID  string
	desc     string    // how du describes a cache mount
	root     fsys.Node // a new cache's root directory
}

// runPlan is a RUN instruction made ready to execute, as dispatchRun in dockerfile2llb
// builds its exec op: the arguments BuildKit records, the ones the emulator executes (they
// differ for a shebang heredoc, which BuildKit runs from a file under /dev/pipes), the
// suffix its progress name gets, the mounts, and what of them goes into the cache key.
type runPlan struct {
	args       []string // before shell wrapping, as BuildKit records them
	exec       []string // after shell wrapping, as the emulator runs them (nil: args)
	nameSuffix string
	mounts     []*runMount
	key        []string
}

// planRun resolves a RUN's heredocs, --network and --mount.
func (b *builder) planRun(ctx context.Context, st *stageState, c *instructions.RunCommand) (*runPlan, error) {
	p := &runPlan{args: []string(c.CmdLine)}
	if len(c.Files) > 0 {
		if err := p.heredoc(c); err != nil {
			return nil, err
		}
	}
	switch n := instructions.GetNetwork(c); n {
	case instructions.NetworkDefault:
	case instructions.NetworkNone:
		p.key = append(p.key, "network=none")
	case instructions.NetworkHost:
		// buildctl and docker build refuse it unless the builder was started with the
		// network.host entitlement and the build asks --allow network.host.
		return nil, errors.New("failed to load LLB: network.host is not allowed")
	default:
		return nil, fmt.Errorf("unsupported network mode %q", n)
	}
	if s := instructions.GetSecurity(c); s != instructions.SecuritySandbox {
		return nil, errors.New("failed to load LLB: security.insecure is not allowed")
	}
	wd := st.image.Config.WorkingDir
	if wd == "" {
		wd = "/"
	}
	shellArgs := p.args
	if c.PrependShell {
		shellArgs = withShell(&st.image, p.args)
	}
	for _, m := range instructions.GetMounts(c) {
		rm, key, err := b.planMount(ctx, st, m, wd, shellArgs)
		if err != nil {
			return p, err
		}
		p.key = append(p.key, key)
		if rm != nil {
			p.mounts = append(p.mounts, rm)
		}
	}
	return p, nil
}

// heredoc turns RUN <<EOF into the command BuildKit runs (dispatchRun's heredoc branch).
func (p *runPlan) heredoc(c *instructions.RunCommand) error {
	args := p.args
	if len(args) != 1 || !c.PrependShell {
		return fmt.Errorf("parsing produced an invalid run command: %v", args)
	}
	if hd := parser.MustParseHeredoc(args[0]); hd != nil {
		data := c.Files[0].Data
		if c.Files[0].Chomp {
			data = parser.ChompHeredocContent(data)
		}
		p.nameSuffix = fmt.Sprintf(" (%s)", summarizeHeredoc(c.Files[0].Data))
		if strings.HasPrefix(data, "#!") {
			// BuildKit writes the document to /dev/pipes/NAME (mode 0755) and runs that file;
			// the emulator runs it with the shell its first line names.
			interp, _, _ := strings.Cut(strings.TrimPrefix(data, "#!"), "\n")
			if !shellShebang(interp) {
				return fmt.Errorf("the heredoc's interpreter %q cannot run in layerlab: RUN emulates /bin/sh (use #!/bin/sh)", strings.TrimSpace(interp))
			}
			p.args = []string{path.Join("/dev/pipes/", c.Files[0].Name)}
			p.exec = []string{"/bin/sh", "-c", data}
			return nil
		}
		p.args = []string{data}
		return nil
	}
	var sb strings.Builder
	sb.WriteString(args[0])
	for _, f := range c.Files {
		sb.WriteByte('\n')
		sb.WriteString(f.Data)
		sb.WriteString(f.Name)
	}
	p.args = []string{sb.String()}
	return nil
}

func shellShebang(line string) bool {
	switch strings.Join(strings.Fields(line), " ") {
	case "/bin/sh", "/bin/ash", "/bin/busybox sh", "/bin/busybox ash", "/usr/bin/env sh", "/bin/sh -e", "/bin/sh -ex", "/bin/sh -x":
		return true
	}
	return false
}

// summarizeHeredoc is dockerfile2llb's: the first line, and "..." when there are more.
func summarizeHeredoc(doc string) string {
	doc = strings.TrimSpace(doc)
	lines := strings.Split(strings.ReplaceAll(doc, "\r\n", "\n"), "\n")
	s := lines[0]
	if len(lines) > 1 {
		s += "..."
	}
	return s
}

// planMount resolves one --mount as dispatchRunMounts does; it returns the key part that
// stands for the mount in the step's cache key (BuildKit's exec op digest holds each mount's
// target, type, options and the checksum of its source) and nil for a secret or ssh mount
// that is skipped because the build was given none.
func (b *builder) planMount(ctx context.Context, st *stageState, m *instructions.Mount, wd string, args []string) (*runMount, string, error) {
	switch m.Type {
	case instructions.MountTypeSecret:
		id := m.CacheID
		if id == "" {
			id = m.Source
		}
		if id == "" {
			id = path.Base(m.Target)
		}
		if m.Required {
			return nil, "", fmt.Errorf("secret %s: not found", id)
		}
		// No secrets reach the playground: BuildKit skips an optional secret it was not given.
		return nil, "secret " + id, nil
	case instructions.MountTypeSSH:
		if m.Required {
			return nil, "", fmt.Errorf("no SSH key %q forwarded from the client", m.CacheID)
		}
		return nil, "ssh " + m.CacheID, nil
	}
	target := m.Target
	if !path.IsAbs(path.Clean(target)) {
		target = path.Join("/", wd, target)
	}
	target = path.Clean("/" + target)
	if target == "/" {
		return nil, "", fmt.Errorf("invalid mount target %q", target)
	}
	rm := &runMount{typ: m.Type, target: target}
	key := []string{"mount", string(m.Type), target, strconv.FormatBool(m.ReadOnly), m.From, m.Source}
	srcPath := path.Join("/", m.Source)
	switch m.Type {
	case instructions.MountTypeTmpfs:
		rm.content = fsys.New()
		rm.content.Put("", &fsys.Node{Type: tar.TypeDir, Mode: 0o1777})
		key = append(key, strconv.FormatInt(m.SizeLimit, 10))
	case instructions.MountTypeCache:
		id := m.CacheID
		if id == "" {
			id = path.Clean(m.Target)
		}
		sharing := m.CacheSharing
		if sharing == "" {
			sharing = instructions.MountSharingShared
		}
		key = append(key, id, string(sharing))
		root := fsys.Node{Type: tar.TypeDir, Mode: 0o755}
		perm := ""
		if m.UID != nil {
			root.UID = int(*m.UID)
		}
		if m.GID != nil {
			root.GID = int(*m.GID)
		}
		if m.Mode != nil {
			root.Mode = int64(*m.Mode)
		}
		if m.UID != nil || m.GID != nil || m.Mode != nil {
			perm = fmt.Sprintf("%o:%d:%d", root.Mode, root.UID, root.GID)
			key = append(key, perm)
		}
		rm.cacheID, rm.root = id, root
		rm.cacheKey = "/" + id
		if perm != "" {
			rm.cacheKey += "@" + perm
		}
		if m.From != "" {
			// BuildKit keys a cache seeded from another state by that state's snapshot too.
			src, err := b.copySourceFor(ctx, st, m.From)
			if err != nil {
				return nil, "", mountFromError(m, err)
			}
			sub, err := subtree(src.fsys, srcPath)
			if err != nil {
				return nil, "", err
			}
			sum, err := b.checksum(ctx, src.fsys, []string{fsys.Clean(srcPath)}, nil)
			if err != nil {
				return nil, "", err
			}
			rm.cacheKey += "@" + m.From + ":" + srcPath + ":" + sum[:16]
			rm.content = sub
		}
		rm.desc = "cached mount " + target + " from exec " + strings.Join(args, " ")
	case instructions.MountTypeBind:
		src, err := b.copySourceFor(ctx, st, m.From)
		if err != nil {
			return nil, "", mountFromError(m, err)
		}
		rel := fsys.Clean(srcPath)
		name := rel
		if name == "" {
			name = "."
		}
		info, err := fs.Stat(src.fsys, name)
		if err != nil {
			// BuildKit says "checksum of ref <snapshot id>": layerlab has no such ids.
			return nil, "", &sourceMissing{fmt.Errorf("failed to calculate checksum: %q: not found", srcPath)}
		}
		sum, err := b.checksum(ctx, src.fsys, []string{rel}, nil)
		if err != nil {
			return nil, "", err
		}
		key = append(key, src.key, sum)
		if !info.IsDir() {
			data, err := fs.ReadFile(src.fsys, name)
			if err != nil {
				return nil, "", fmt.Errorf("reading %s for the bind mount: %w", srcPath, err)
			}
			n := &fsys.Node{Type: tar.TypeReg, Mode: tarMode(info.Mode()), ModTime: info.ModTime(), Data: data}
			if sn, ok := info.Sys().(*fsys.Node); ok {
				n.UID, n.GID = sn.UID, sn.GID
			}
			rm.file = n
			break
		}
		if rm.content, err = subtree(src.fsys, srcPath); err != nil {
			return nil, "", err
		}
	default:
		return nil, "", fmt.Errorf("unsupported mount type %q", m.Type)
	}
	return rm, hashKey(key...), nil
}

func mountFromError(m *instructions.Mount, err error) error {
	return fmt.Errorf("mounting from %q to %q: %w", m.From, m.Target, err)
}

// subtree copies the tree at p of src into a new FS whose root is p.
func subtree(src fs.FS, p string) (*fsys.FS, error) {
	out := fsys.New()
	root := fsys.Clean(p)
	name := root
	if name == "" {
		name = "."
	}
	err := fs.WalkDir(src, name, func(q string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel := ""
		if q != name {
			rel = strings.TrimPrefix(q, name+"/")
			if name == "." {
				rel = q
			}
		}
		n := &fsys.Node{Mode: tarMode(info.Mode()), ModTime: info.ModTime()}
		if sn, ok := info.Sys().(*fsys.Node); ok {
			c := *sn
			n = &c
		} else {
			switch {
			case info.IsDir():
				n.Type = tar.TypeDir
			case info.Mode()&fs.ModeSymlink != 0:
				n.Type = tar.TypeSymlink
				if n.Link, err = fs.ReadLink(src, q); err != nil {
					return err
				}
			case info.Mode().IsRegular():
				n.Type = tar.TypeReg
				if n.Data, err = fs.ReadFile(src, q); err != nil {
					return err
				}
			default:
				return nil // devices and sockets of a context are not mounted
			}
		}
		return out.Put(rel, n)
	})
	if err != nil {
		return nil, fmt.Errorf("reading %s for the mount: %w", "/"+root, err)
	}
	return out, nil
}

// loadCache returns a cache mount's persisted contents, or a new cache (seeded from its
// from= source when it has one).
func (b *builder) loadCache(ctx context.Context, rm *runMount) (*fsys.FS, *mountRecord, error) {
	raw, err := b.s.Record(ctx, MountKind, rm.cacheKey)
	if err == nil {
		var rec mountRecord
		if err := json.Unmarshal(raw, &rec); err == nil {
			f := fsys.New()
			root := rec.Root
			if rec.Size > 0 {
				rc, err := b.s.OpenBlob(ctx, rec.Blob)
				if err == nil {
					zr, err := gzip.NewReader(rc)
					if err == nil {
						err = f.ApplyLayer(zr)
					}
					rc.Close()
					if err != nil {
						return nil, nil, fmt.Errorf("reading cache mount %s: %w", rm.cacheID, err)
					}
				} else {
					f = nil // the blob is gone: start over
				}
			}
			if f != nil {
				f.Put("", &root)
				return f, &rec, nil
			}
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, nil, fmt.Errorf("reading cache mount %s: %w", rm.cacheID, err)
	}
	var f *fsys.FS
	if rm.content != nil {
		f = rm.content.Clone()
	} else {
		f = fsys.New()
		root := rm.root
		f.Put("", &root)
	}
	return f, nil, nil
}

// saveCache persists a cache mount's contents after the RUN and frees the blob it replaced.
func (b *builder) saveCache(ctx context.Context, rm *runMount, f *fsys.FS, old *mountRecord) error {
	var tb bytes.Buffer
	if err := fsys.WriteTar(&tb, fsys.Diff(fsys.New(), f), nil); err != nil {
		return err
	}
	var zb bytes.Buffer
	zw := gzip.NewWriter(&zb)
	zw.Write(tb.Bytes())
	if err := zw.Close(); err != nil {
		return err
	}
	d, n, err := v1.SHA256(bytes.NewReader(zb.Bytes()))
	if err != nil {
		return err
	}
	if err := b.s.PutBlob(ctx, d, bytes.NewReader(zb.Bytes())); err != nil {
		return fmt.Errorf("storing cache mount %s: %w", rm.cacheID, err)
	}
	now := b.o.Now().UTC()
	rec := mountRecord{ID: rm.cacheID, Blob: d, Size: n, Root: *f.Get(""), LastUsed: now, Created: now, Desc: rm.desc}
	if old != nil {
		rec.Created = old.Created
	}
	raw, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	if err := b.s.PutRecord(ctx, MountKind, rm.cacheKey, raw); err != nil {
		return fmt.Errorf("recording cache mount %s: %w", rm.cacheID, err)
	}
	if old != nil && old.Blob != d && old.Size > 0 {
		if used, err := imageBlobs(ctx, b.s); err == nil && !used[old.Blob] {
			b.s.DeleteBlob(ctx, old.Blob)
		}
	}
	return nil
}

// imageBlobs lists the blobs the store's images need.
func imageBlobs(ctx context.Context, s store.Store) (map[v1.Hash]bool, error) {
	entries, err := s.Index(ctx)
	if err != nil {
		return nil, err
	}
	used := map[v1.Hash]bool{}
	for _, e := range entries {
		blobs, err := store.Closure(ctx, s, e.Descriptor)
		if err != nil {
			return nil, err
		}
		for _, h := range blobs {
			used[h] = true
		}
	}
	return used, nil
}

// mounted is a RUN's filesystem with its mounts in place; unmount puts back what the mounts
// covered and removes the mount points the runtime had to create, as BuildKit's
// MountStubsCleaner does (recursively, when empty), so no mount leaves a trace in the layer.
type mounted struct {
	f       *fsys.FS
	covered []coveredPath
}

type coveredPath struct {
	target string
	saved  map[string]*fsys.Node // what was at and under target
	stubs  []string              // path components created for the mount, outermost first
	m      *runMount
	cache  *fsys.FS
	rec    *mountRecord
}

// mount puts every mount in place, outer targets first.
func (b *builder) mount(ctx context.Context, f *fsys.FS, mounts []*runMount, now time.Time) (*mounted, error) {
	ms := append([]*runMount(nil), mounts...)
	sort.SliceStable(ms, func(i, j int) bool { return ms[i].target < ms[j].target })
	out := &mounted{f: f}
	for _, m := range ms {
		t, err := f.Resolve(m.target, true)
		if err != nil {
			return out, err
		}
		cp := coveredPath{target: t, saved: map[string]*fsys.Node{}, m: m}
		for _, p := range append([]string{t}, under(f, t)...) {
			if n := f.Get(p); n != nil {
				cp.saved[p] = n
			}
		}
		// runc creates missing mount points (directories, or a file for a file mount).
		parts := strings.Split(t, "/")
		for i := range parts {
			q := strings.Join(parts[:i+1], "/")
			if f.Get(q) == nil {
				cp.stubs = append(cp.stubs, q)
			}
		}
		if err := f.MkdirAll("/"+path.Dir("/"+t), 0o755, 0, 0, now); err != nil {
			return out, fmt.Errorf("creating mount point %s: %w", m.target, err)
		}
		f.Remove(t)
		content := m.content
		if m.typ == instructions.MountTypeCache {
			if cp.cache, cp.rec, err = b.loadCache(ctx, m); err != nil {
				return out, err
			}
			content = cp.cache
		}
		if m.typ == instructions.MountTypeBind && m.file != nil {
			if err := f.Write(t, m.file, now); err != nil {
				return out, err
			}
		} else {
			if err := graft(f, t, content); err != nil {
				return out, err
			}
			f.Write(t, f.Get(t), now)
		}
		out.covered = append(out.covered, cp)
	}
	return out, nil
}

// unmount harvests cache mounts and restores what every mount covered, inner targets first.
func (b *builder) unmount(ctx context.Context, mt *mounted, ok bool) error {
	f := mt.f
	var firstErr error
	for i := len(mt.covered) - 1; i >= 0; i-- {
		cp := mt.covered[i]
		if cp.m.typ == instructions.MountTypeCache && ok {
			got := fsys.New()
			if n := f.Get(cp.target); n != nil && n.IsDir() {
				got.Put("", n)
				for _, p := range under(f, cp.target) {
					got.Put(strings.TrimPrefix(p, cp.target+"/"), f.Get(p))
				}
			}
			if err := b.saveCache(ctx, cp.m, got, cp.rec); err != nil && firstErr == nil {
				firstErr = err
			}
		}
		f.Remove(cp.target)
		paths := make([]string, 0, len(cp.saved))
		for p := range cp.saved {
			paths = append(paths, p)
		}
		sort.Strings(paths)
		for _, p := range paths {
			if err := f.Put(p, cp.saved[p]); err != nil && firstErr == nil {
				firstErr = err
			}
		}
		// Remove the stubs that are empty now, innermost first, keeping the parent's time.
		for j := len(cp.stubs) - 1; j >= 0; j-- {
			s := cp.stubs[j]
			n := f.Get(s)
			if n == nil {
				continue
			}
			if (n.IsDir() && len(f.Children(s)) > 0) || (!n.IsDir() && len(n.Data) > 0) {
				break
			}
			f.Remove(s)
		}
	}
	return firstErr
}

// under lists the paths strictly under p.
func under(f *fsys.FS, p string) []string {
	var out []string
	prefix := p + "/"
	for _, q := range f.Paths() {
		if strings.HasPrefix(q, prefix) {
			out = append(out, q)
		}
	}
	return out
}

// graft puts the tree src at p of f.
func graft(f *fsys.FS, p string, src *fsys.FS) error {
	root := src.Get("")
	if err := f.Put(p, root); err != nil {
		return err
	}
	for _, q := range src.Paths() {
		if err := f.Put(path.Join(p, q), src.Get(q)); err != nil {
			return err
		}
	}
	return nil
}

// withMounts runs fn with the mounts in place and takes them away afterwards; cache mounts
// keep what fn left in them, even when it failed, as BuildKit's do.
func (b *builder) withMounts(ctx context.Context, f *fsys.FS, mounts []*runMount, fn func() (int, error)) (int, error) {
	if len(mounts) == 0 {
		return fn()
	}
	now := b.o.Now()
	mt, err := b.mount(ctx, f, mounts, now)
	if err != nil {
		b.unmount(ctx, mt, false)
		return 0, err
	}
	code, err := fn()
	if uerr := b.unmount(ctx, mt, true); uerr != nil && err == nil {
		err = uerr
	}
	return code, err
}

// sourceMissing is a bind mount source that is not there; the step fails on it while its
// cache key is computed.
type sourceMissing struct{ err error }

func (e *sourceMissing) Error() string { return e.err.Error() }
func (e *sourceMissing) Unwrap() error { return e.err }
