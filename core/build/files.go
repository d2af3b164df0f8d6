package build

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/shell"

	"github.com/layerlab/layerlab/core/fsys"
)

// cacheRecord is what the build cache keeps per step key: the layer the step made.
type cacheRecord struct {
	Digest    v1.Hash         `json:"digest"`
	DiffID    v1.Hash         `json:"diffID"`
	Size      int64           `json:"size"`
	MediaType types.MediaType `json:"mediaType"`
}

// step runs (or finds in the cache) a step that changes the filesystem and appends its
// layer to the stage.
func (b *builder) step(ctx context.Context, st *stageState, name, key string, apply func(*fsys.FS) error, output ...func() []byte) error {
	start := time.Now()
	ev := Event{Step: st.cmdIndex, Total: st.cmdTotal, Name: name, CacheKey: key, Inputs: b.takeInputs()}
	ev.Type = StepStarted
	b.o.Events(ev)
	if !b.o.NoCache {
		if rec, ok := b.cached(ctx, key); ok {
			d := v1.Descriptor{MediaType: rec.MediaType, Digest: rec.Digest, Size: rec.Size}
			st.descs = append(st.descs, d)
			st.diffIDs = append(st.diffIDs, rec.DiffID)
			st.pending = append(st.pending, d)
			st.key = key
			ev.Type, ev.DiffID, ev.Size, ev.Duration = StepCached, rec.DiffID, rec.Size, time.Since(start)
			b.o.Events(ev)
			return nil
		}
	}
	fail := func(err error) error {
		ev.Type, ev.Err, ev.Duration = StepFailed, err, time.Since(start)
		b.o.Events(ev)
		return err
	}
	cur, err := b.materialize(ctx, st)
	if err != nil {
		return fail(err)
	}
	lower := cur.Clone()
	cur.TouchNonEmptyDirs(b.o.Now())
	err = apply(cur)
	for _, o := range output {
		if out := o(); len(out) > 0 {
			b.o.Events(Event{Type: StepOutput, Step: st.cmdIndex, Total: st.cmdTotal, Name: name, CacheKey: key, Output: out})
		}
	}
	if err != nil {
		st.fs = lower // the failed step leaves nothing behind
		return fail(err)
	}
	changes := fsys.Diff(lower, cur)
	var tb bytes.Buffer
	if err := fsys.WriteTar(&tb, changes, b.epoch); err != nil {
		return fail(err)
	}
	l, err := newBlobLayer(tb.Bytes())
	if err != nil {
		return fail(fmt.Errorf("compressing the layer: %w", err))
	}
	if err := b.s.PutBlob(ctx, l.digest, bytes.NewReader(l.compressed)); err != nil {
		return fail(fmt.Errorf("storing the layer: %w", err))
	}
	rec := cacheRecord{Digest: l.digest, DiffID: l.diffID, Size: l.size, MediaType: types.OCILayer}
	rb, _ := json.Marshal(rec)
	if err := b.s.PutRecord(ctx, CacheKind, key, rb); err != nil {
		return fail(fmt.Errorf("recording the step in the build cache: %w", err))
	}
	st.descs = append(st.descs, v1.Descriptor{MediaType: rec.MediaType, Digest: rec.Digest, Size: rec.Size})
	st.diffIDs = append(st.diffIDs, rec.DiffID)
	st.key = key
	ev.Type, ev.DiffID, ev.Size, ev.Changes, ev.Duration = StepDone, rec.DiffID, rec.Size, changes, time.Since(start)
	b.o.Events(ev)
	return nil
}

// cached looks a step key up; a record whose layer blob is gone is a miss.
func (b *builder) cached(ctx context.Context, key string) (cacheRecord, bool) {
	raw, err := b.s.Record(ctx, CacheKind, key)
	if err != nil {
		return cacheRecord{}, false
	}
	var rec cacheRecord
	if json.Unmarshal(raw, &rec) != nil {
		return cacheRecord{}, false
	}
	if _, err := b.s.BlobSize(ctx, rec.Digest); err != nil {
		return cacheRecord{}, false
	}
	return rec, true
}

// stepName is how BuildKit's progress names a file step: the instruction with variables
// expanded and its keyword upper-cased.
func (b *builder) stepName(st *stageState, original string) string {
	return b.stepNameLex(st, original, b.lex)
}

// runStepName names a RUN step as dispatchRun does: variables expanded, quotes kept and
// unset variables left as written (RUN echo "$i" stays so).
func (b *builder) runStepName(st *stageState, original string) string {
	lex := *b.lex
	lex.RawQuotes = true
	lex.SkipUnsetEnv = true
	return b.stepNameLex(st, original, &lex)
}

func (b *builder) stepNameLex(st *stageState, original string, lex *shell.Lex) string {
	s, _, err := lex.ProcessWord(original, b.stateEnv(st))
	if err != nil {
		s = original
	}
	if i := strings.IndexByte(s, ' '); i > 0 {
		s = strings.ToUpper(s[:i]) + s[i:]
	}
	return b.prefix(st, s)
}

func (b *builder) dispatchWorkdir(ctx context.Context, st *stageState, c *instructions.WorkdirCommand) error {
	wd := c.Path
	if !strings.HasPrefix(wd, "/") {
		cur := st.image.Config.WorkingDir
		if cur == "" {
			cur = "/"
		}
		wd = path.Join(cur, wd)
	}
	wd = path.Clean(wd)
	st.image.Config.WorkingDir = wd
	if wd == "/" {
		b.history(st, "WORKDIR "+wd, false)
		return nil
	}
	name := b.stepName(st, c.String())
	user := st.image.Config.User
	key := hashKey(st.key, "mkdir", wd, "0755", user)
	b.inputs = &StepInputs{Instruction: c.String(), Parent: st.key, Workdir: wd}
	err := b.step(ctx, st, name, key, func(f *fsys.FS) error {
		uid, gid := 0, 0
		if user != "" {
			var err error
			if uid, gid, err = lookupUser(f, user); err != nil {
				return err
			}
		}
		t := b.o.Now()
		if b.epoch != nil {
			t = *b.epoch
		}
		return f.MkdirAll(wd, 0o755, uid, gid, t)
	})
	if err != nil {
		return err
	}
	b.history(st, "WORKDIR "+wd, true)
	return nil
}

// copySpec is what COPY and ADD share.
type copySpec struct {
	add      bool
	from     string
	chown    string
	chmod    string
	parents  bool
	sources  []string
	contents []instructions.SourceContent
	dest     string
	original string
	unpack   bool
}

func (b *builder) dispatchCopy(ctx context.Context, st *stageState, c *instructions.CopyCommand) error {
	if c.Link {
		return fmt.Errorf("COPY --link is not supported yet in layerlab (its layer is made differently); remove --link")
	}
	if len(c.ExcludePatterns) > 0 {
		return fmt.Errorf("COPY --exclude is not supported yet in layerlab")
	}
	return b.copyFiles(ctx, st, copySpec{from: c.From, chown: c.Chown, chmod: c.Chmod, parents: c.Parents,
		sources: c.SourcePaths, contents: c.SourceContents, dest: c.DestPath, original: c.String()})
}

func (b *builder) dispatchAdd(ctx context.Context, st *stageState, c *instructions.AddCommand) error {
	if c.Link || len(c.ExcludePatterns) > 0 || c.Checksum != "" || c.KeepGitDir != nil {
		return fmt.Errorf("ADD --link, --exclude, --checksum and --keep-git-dir are not supported yet in layerlab")
	}
	for _, src := range c.SourcePaths {
		if strings.HasPrefix(src, "http://") || strings.HasPrefix(src, "https://") || strings.HasPrefix(src, "git@") {
			return fmt.Errorf("ADD from a URL or git is not supported in layerlab (no network); download into the context and COPY it")
		}
	}
	unpack := true
	if c.Unpack != nil {
		unpack = *c.Unpack
	}
	return b.copyFiles(ctx, st, copySpec{add: true, chown: c.Chown, chmod: c.Chmod,
		sources: c.SourcePaths, contents: c.SourceContents, dest: c.DestPath, original: c.String(), unpack: unpack})
}

// copySource is where a COPY reads from: the context, a stage, an image or a heredoc.
type copySource struct {
	fsys      fs.FS
	keepOwner bool // sources other than the context keep their files' owners
	key       string
}

func (b *builder) copySourceFor(ctx context.Context, st *stageState, from string) (copySource, error) {
	if from == "" {
		return copySource{fsys: b.o.Context, key: "context"}, nil
	}
	if j, ok := b.stageIndex(from, st.index); ok {
		src := b.stages[j]
		if src == nil {
			return copySource{}, fmt.Errorf("stage %q was not built", from)
		}
		f, err := b.materialize(ctx, src)
		if err != nil {
			return copySource{}, err
		}
		return copySource{fsys: f.IOFS(), keepOwner: true, key: "stage"}, nil
	}
	tmp := &stageState{}
	if err := b.loadBase(ctx, tmp, from); err != nil {
		return copySource{}, err
	}
	f, err := b.materialize(ctx, tmp)
	if err != nil {
		return copySource{}, err
	}
	return copySource{fsys: f.IOFS(), keepOwner: true, key: "image " + tmp.key}, nil
}

func (b *builder) copyFiles(ctx context.Context, st *stageState, c copySpec) error {
	if c.parents {
		return fmt.Errorf("COPY --parents is not supported yet in layerlab")
	}
	var mode *int64
	if c.chmod != "" {
		m, err := strconv.ParseUint(c.chmod, 8, 32)
		if err != nil || m > 0o7777 {
			return fmt.Errorf("invalid chmod parameter: '%v'. it should be octal string and between 0 and 07777", c.chmod)
		}
		mm := int64(m)
		mode = &mm
	}
	dest := c.dest
	keepSlash := strings.HasSuffix(dest, "/") || dest == "." || dest == ""
	if !strings.HasPrefix(dest, "/") {
		wd := st.image.Config.WorkingDir
		if wd == "" {
			wd = "/"
		}
		dest = path.Join(wd, dest)
	}
	dest = path.Clean(dest)
	destDir := keepSlash

	msg := "COPY"
	if c.add {
		msg = "ADD"
	}
	if c.parents {
		msg += " --parents"
	}
	if c.chown != "" {
		msg += " --chown=" + c.chown
	}
	if c.chmod != "" {
		msg += " --chmod=" + c.chmod
	}
	src, err := b.copySourceFor(ctx, st, c.from)
	if err != nil {
		return err
	}
	type source struct {
		fsys      fs.FS
		keepOwner bool
		matches   []string // clean relative paths ("" = the root)
	}
	var sources []source
	keyParts := []string{st.key, "copy", strconv.FormatBool(c.add), strconv.FormatBool(c.unpack), dest, strconv.FormatBool(destDir), c.chown, c.chmod, src.key}
	for _, sp := range c.sources {
		msg += " " + sp
		p := fsys.Clean(sp)
		var matches []string
		if strings.ContainsAny(p, "*?[") {
			m, err := fs.Glob(src.fsys, p)
			if err != nil {
				return fmt.Errorf("bad pattern %q: %w", sp, err)
			}
			matches = m
		} else {
			name := p
			if name == "" {
				name = "."
			}
			if _, err := fs.Stat(src.fsys, name); err != nil {
				return fmt.Errorf("failed to calculate checksum: %q: not found", "/"+p)
			}
			matches = []string{p}
		}
		sum, err := checksum(src.fsys, matches)
		if err != nil {
			return err
		}
		keyParts = append(keyParts, sp, sum)
		b.noteCopy(c.original, st.key, sp, sum, src.fsys, matches)
		sources = append(sources, source{src.fsys, src.keepOwner, matches})
	}
	for _, hd := range c.contents {
		msg += " <<" + hd.Path
		doc := fsys.New()
		name := fsys.Clean(hd.Path)
		if err := doc.MkdirAll(path.Dir("/"+name), 0o755, 0, 0, b.o.Now()); err != nil {
			return err
		}
		if err := doc.Put(name, &fsys.Node{Type: tar.TypeReg, Mode: 0o644, Data: []byte(hd.Data), ModTime: b.o.Now()}); err != nil {
			return err
		}
		keyParts = append(keyParts, "heredoc", hd.Path, hd.Data)
		sources = append(sources, source{doc.IOFS(), false, []string{name}})
	}
	msg += " " + c.dest
	name := b.stepName(st, c.original)
	key := hashKey(keyParts...)
	err = b.step(ctx, st, name, key, func(f *fsys.FS) error {
		uid, gid := -1, -1
		if c.chown != "" {
			var err error
			if uid, gid, err = lookupUser(f, c.chown); err != nil {
				return err
			}
		}
		for _, s := range sources {
			cp := &copier{ctx: s.fsys, f: f, uid: uid, gid: gid, keepOwner: s.keepOwner, mode: mode, now: b.o.Now(), unpack: c.unpack}
			for _, m := range s.matches {
				if err := cp.copy(m, dest, destDir); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	b.history(st, msg+" # buildkit", true)
	return nil
}

// checksum is the content key of COPY sources: names, types, modes, sizes, link targets and
// contents, never mtimes (BuildKit's content checksum).
func checksum(ctx fs.FS, matches []string) (string, error) {
	h := sha256.New()
	for _, m := range matches {
		root := m
		if root == "" {
			root = "."
		}
		err := fs.WalkDir(ctx, root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			fmt.Fprintf(h, "%s\x00%o\x00%d\x00", p, info.Mode(), info.Size())
			if n, ok := info.Sys().(*fsys.Node); ok {
				fmt.Fprintf(h, "%d:%d\x00", n.UID, n.GID)
			}
			if info.Mode()&fs.ModeSymlink != 0 {
				target, err := fs.ReadLink(ctx, p)
				if err != nil {
					return err
				}
				fmt.Fprintf(h, "%s\x00", target)
			}
			if info.Mode().IsRegular() {
				data, err := fs.ReadFile(ctx, p)
				if err != nil {
					return err
				}
				sum := sha256.Sum256(data)
				h.Write(sum[:])
			}
			return nil
		})
		if err != nil {
			return "", fmt.Errorf("checksumming %s: %w", "/"+m, err)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

type copier struct {
	ctx       fs.FS
	f         *fsys.FS
	uid, gid  int // -1: no --chown
	keepOwner bool
	mode      *int64
	now       time.Time
	unpack    bool
}

// owner is who a copied entry belongs to: --chown, else the source's owner for stages and
// images, else root.
func (c *copier) owner(info fs.FileInfo) (int, int) {
	if c.uid >= 0 {
		return c.uid, c.gid
	}
	if n, ok := info.Sys().(*fsys.Node); ok && c.keepOwner {
		return n.UID, n.GID
	}
	return 0, 0
}

// dirOwner is the owner of directories the copy creates on the way to the destination.
func (c *copier) dirOwner() (int, int) {
	if c.uid >= 0 {
		return c.uid, c.gid
	}
	return 0, 0
}

func tarMode(m fs.FileMode) int64 {
	out := int64(m.Perm())
	if m&fs.ModeSetuid != 0 {
		out |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		out |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		out |= 0o1000
	}
	return out
}

// copy copies context path src to dest with Docker's rules: a file goes to dest, or into
// dest when dest names a directory (trailing slash or an existing directory); a
// directory's contents go into dest.
func (c *copier) copy(src, dest string, destDir bool) error {
	name := src
	if name == "" {
		name = "."
	}
	info, err := fs.Stat(c.ctx, name)
	if err != nil {
		return fmt.Errorf("copying %s: %w", "/"+src, err)
	}
	rdest, err := c.f.Resolve(dest, true)
	if err != nil {
		return err
	}
	du, dg := c.dirOwner()
	if info.IsDir() {
		if err := c.f.MkdirAll(path.Dir("/"+rdest), 0o755, du, dg, c.now); err != nil {
			return err
		}
		return c.copyDir(name, rdest, info)
	}
	if c.unpack {
		if ok, err := c.tryUnpack(name, rdest); ok || err != nil {
			return err
		}
	}
	if n := c.f.Get(rdest); destDir || (n != nil && n.IsDir()) {
		if err := c.f.MkdirAll("/"+rdest, 0o755, du, dg, c.now); err != nil {
			return err
		}
		rdest = path.Join(rdest, path.Base("/"+src))
	} else if err := c.f.MkdirAll(path.Dir("/"+rdest), 0o755, du, dg, c.now); err != nil {
		return err
	}
	return c.copyFile(name, rdest, info)
}

func (c *copier) meta(info fs.FileInfo) (int64, time.Time) {
	m := tarMode(info.Mode())
	if c.mode != nil {
		m = *c.mode
	}
	return m, info.ModTime()
}

func (c *copier) copyFile(src, dest string, info fs.FileInfo) error {
	m, mt := c.meta(info)
	uid, gid := c.owner(info)
	n := &fsys.Node{Type: tar.TypeReg, Mode: m, UID: uid, GID: gid, ModTime: mt}
	if info.Mode()&fs.ModeSymlink != 0 {
		target, err := fs.ReadLink(c.ctx, src)
		if err != nil {
			return fmt.Errorf("reading link %s: %w", "/"+src, err)
		}
		n = &fsys.Node{Type: tar.TypeSymlink, Mode: 0o777, UID: uid, GID: gid, ModTime: mt, Link: target}
		return c.f.Write(dest, n, c.now)
	}
	data, err := fs.ReadFile(c.ctx, src)
	if err != nil {
		return fmt.Errorf("reading %s from the context: %w", "/"+src, err)
	}
	n.Data = data
	if old := c.f.Get(dest); old != nil && old.IsDir() {
		return fmt.Errorf("cannot replace directory /%s with file %s", dest, src)
	}
	return c.f.Write(dest, n, c.now)
}

func (c *copier) copyDir(src, dest string, info fs.FileInfo) error {
	m, mt := c.meta(info)
	uid, gid := c.owner(info)
	if old := c.f.Get(dest); old != nil && !old.IsDir() {
		return fmt.Errorf("cannot copy directory %s over file /%s", src, dest)
	}
	entries, err := fs.ReadDir(c.ctx, src)
	if err != nil {
		return fmt.Errorf("reading %s from the context: %w", src, err)
	}
	if dest != "" {
		if err := c.f.Write(dest, &fsys.Node{Type: tar.TypeDir, Mode: m, UID: uid, GID: gid, ModTime: c.now}, c.now); err != nil {
			return err
		}
	}
	for _, e := range entries {
		ci, err := e.Info()
		if err != nil {
			return err
		}
		cs, cd := path.Join(src, e.Name()), path.Join(dest, e.Name())
		if e.IsDir() {
			if err := c.copyDir(cs, cd, ci); err != nil {
				return err
			}
			continue
		}
		if err := c.copyFile(cs, cd, ci); err != nil {
			return err
		}
	}
	if dest != "" {
		return c.f.Put(dest, &fsys.Node{Type: tar.TypeDir, Mode: m, UID: uid, GID: gid, ModTime: mt})
	}
	return nil
}

// lookupUser resolves "user[:group]" (names or numbers) against the image's /etc/passwd and
// /etc/group.
func lookupUser(f *fsys.FS, spec string) (int, int, error) {
	u, g, hasGroup := strings.Cut(spec, ":")
	uid, gid := -1, -1
	if n, err := strconv.Atoi(u); err == nil {
		uid = n
		gid = n
		if e := findEntry(f, "etc/passwd", func(fields []string) bool { return fields[2] == u }); e != nil && len(e) > 3 {
			gid, _ = strconv.Atoi(e[3])
		}
	} else if e := findEntry(f, "etc/passwd", func(fields []string) bool { return fields[0] == u }); e != nil && len(e) > 3 {
		uid, _ = strconv.Atoi(e[2])
		gid, _ = strconv.Atoi(e[3])
	} else {
		return 0, 0, fmt.Errorf("unable to find user %s: no matching entries in passwd file", u)
	}
	if hasGroup {
		if n, err := strconv.Atoi(g); err == nil {
			gid = n
		} else if e := findEntry(f, "etc/group", func(fields []string) bool { return fields[0] == g }); e != nil && len(e) > 2 {
			gid, _ = strconv.Atoi(e[2])
		} else {
			return 0, 0, fmt.Errorf("unable to find group %s: no matching entries in group file", g)
		}
	}
	return uid, gid, nil
}

func findEntry(f *fsys.FS, file string, match func([]string) bool) []string {
	p, err := f.Resolve(file, true)
	if err != nil {
		return nil
	}
	n := f.Get(p)
	if n == nil || n.Type != tar.TypeReg {
		return nil
	}
	for _, line := range strings.Split(string(n.Data), "\n") {
		fields := strings.Split(line, ":")
		if len(fields) >= 3 && match(fields) {
			return fields
		}
	}
	return nil
}
