package build

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
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
	"github.com/moby/patternmatcher"
	chmod "github.com/tonistiigi/dchapes-mode"

	"github.com/layerlab/layerlab/core/fsys"
	sh "github.com/layerlab/layerlab/core/shell"
)

// cacheRecord is what the build cache keeps per step key: the layer the step made, and
// what `docker builder du` shows of it.
type cacheRecord struct {
	Digest      v1.Hash         `json:"digest"`
	DiffID      v1.Hash         `json:"diffID"`
	Size        int64           `json:"size"`
	MediaType   types.MediaType `json:"mediaType"`
	TarSize     int64           `json:"tarSize,omitempty"` // uncompressed, as BuildKit's du counts
	Created     time.Time       `json:"created,omitzero"`
	LastUsed    time.Time       `json:"lastUsed,omitzero"`
	Uses        int             `json:"uses,omitempty"`
	Description string          `json:"description,omitempty"`
}

func (r cacheRecord) size() int64 {
	if r.TarSize > 0 {
		return r.TarSize
	}
	return r.Size
}

// touchEvery is how stale a record's last-used time may get before a cache hit rewrites
// it: often enough for prune's until= filter, rare enough that a cached rebuild does not
// write a record per step.
const touchEvery = time.Hour

// step runs (or finds in the cache) a step that changes the filesystem and appends its
// layer to the stage.
func (b *builder) step(ctx context.Context, st *stageState, name, key string, apply func(*fsys.FS) error, output ...func() []byte) error {
	return b.runStep(ctx, st, name, key, false, apply, output...)
}

// linkStep is step for COPY --link: apply works on an empty filesystem and its whole
// content is the layer, laid over the stage's files whatever they are (BuildKit's MergeOp).
func (b *builder) linkStep(ctx context.Context, st *stageState, name, key string, apply func(*fsys.FS) error) error {
	return b.runStep(ctx, st, name, key, true, apply)
}

func (b *builder) runStep(ctx context.Context, st *stageState, name, key string, link bool, apply func(*fsys.FS) error, output ...func() []byte) error {
	desc := b.desc
	b.desc = ""
	start := time.Now()
	ev := Event{Step: st.cmdIndex, Total: st.cmdTotal, Name: name, CacheKey: key, Inputs: b.takeInputs()}
	ev.Type = StepStarted
	b.o.Events(ev)
	if !b.o.NoCache {
		if rec, ok := b.cached(ctx, key); ok {
			if now := b.o.Now(); now.Sub(rec.LastUsed) > touchEvery {
				rec.LastUsed, rec.Uses = now.UTC(), rec.Uses+1
				if rb, err := json.Marshal(rec); err == nil {
					b.s.PutRecord(ctx, CacheKind, key, rb) // best effort: only du's times
				}
			}
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
	var changes []fsys.Change
	if link {
		scratch := fsys.New()
		if err := apply(scratch); err != nil {
			return fail(err)
		}
		changes = fsys.Diff(fsys.New(), scratch)
	} else {
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
		changes = fsys.Diff(lower, cur)
	}
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
	now := b.o.Now().UTC()
	rec := cacheRecord{Digest: l.digest, DiffID: l.diffID, Size: l.size, MediaType: types.OCILayer,
		TarSize: int64(tb.Len()), Created: now, LastUsed: now, Uses: 1, Description: describe(name)}
	if desc != "" {
		rec.Description = desc
	}
	rb, _ := json.Marshal(rec)
	if err := b.s.PutRecord(ctx, CacheKind, key, rb); err != nil {
		return fail(fmt.Errorf("recording the step in the build cache: %w", err))
	}
	d := v1.Descriptor{MediaType: rec.MediaType, Digest: rec.Digest, Size: rec.Size}
	st.descs = append(st.descs, d)
	st.diffIDs = append(st.diffIDs, rec.DiffID)
	if link {
		st.pending = append(st.pending, d) // laid over the stage's files when a step needs them
	}
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
	link     bool
	parents  bool
	excludes []string
	checksum string
	sources  []string
	contents []instructions.SourceContent
	dest     string
	original string
	unpack   bool
}

func (b *builder) dispatchCopy(ctx context.Context, st *stageState, c *instructions.CopyCommand) error {
	return b.copyFiles(ctx, st, copySpec{from: c.From, chown: c.Chown, chmod: c.Chmod, parents: c.Parents,
		link: c.Link, excludes: c.ExcludePatterns,
		sources: c.SourcePaths, contents: c.SourceContents, dest: c.DestPath, original: c.String()})
}

func (b *builder) dispatchAdd(ctx context.Context, st *stageState, c *instructions.AddCommand) error {
	if c.KeepGitDir != nil {
		return fmt.Errorf("ADD --keep-git-dir: git sources cannot be fetched in layerlab (no network); clone into the context and COPY it")
	}
	unpack := true
	if c.Unpack != nil {
		unpack = *c.Unpack
	}
	return b.copyFiles(ctx, st, copySpec{add: true, chown: c.Chown, chmod: c.Chmod, link: c.Link, excludes: c.ExcludePatterns,
		checksum: c.Checksum, sources: c.SourcePaths, contents: c.SourceContents, dest: c.DestPath, original: c.String(), unpack: unpack})
}

// remoteSource reports whether an ADD source is a URL or a git repository, which layerlab
// does not fetch: the page has no network beyond its registry proxy.
func remoteSource(src string) bool {
	for _, p := range []string{"http://", "https://", "git@", "git://", "ssh://"} {
		if strings.HasPrefix(src, p) {
			return true
		}
	}
	return false
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
	if j, ok := b.stageRef(from); ok && j != st.index {
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
	var mode *int64
	var modeSet *chmod.Set
	if c.chmod != "" {
		nonOctal := fmt.Errorf("invalid chmod parameter: '%v'. it should be octal string and between 0 and 07777", c.chmod)
		m, err := strconv.ParseUint(c.chmod, 8, 32)
		if err == nil {
			if m > 0o7777 {
				return nonOctal
			}
			mm := int64(m)
			mode = &mm
		} else {
			set, err := chmod.ParseWithUmask(c.chmod, 0)
			if err != nil {
				var ne *strconv.NumError
				if errors.As(err, &ne) {
					return nonOctal
				}
				return err
			}
			modeSet = &set
		}
	}
	if c.checksum != "" {
		if len(c.sources) != 1 {
			return errors.New("checksum can't be specified for multiple sources")
		}
		if !strings.HasPrefix(c.sources[0], "http://") && !strings.HasPrefix(c.sources[0], "https://") && !strings.HasPrefix(c.sources[0], "git@") {
			return errors.New("checksum requires HTTP(S) or Git sources")
		}
	}
	for _, src := range c.sources {
		if c.add && remoteSource(src) {
			return fmt.Errorf("ADD %s: layerlab cannot fetch URLs or git repositories (no network in the playground); download it into the context and COPY it", src)
		}
		if !c.add && (strings.HasPrefix(src, "http://") || strings.HasPrefix(src, "https://")) {
			return errors.New("source can't be a URL for COPY")
		}
	}
	var exclude *patternmatcher.PatternMatcher
	if len(c.excludes) > 0 {
		pm, err := patternmatcher.New(c.excludes)
		if err != nil {
			return fmt.Errorf("invalid excludepatterns: %s: %w", c.excludes, err)
		}
		exclude = pm
	}
	// COPY --link makes its layer from the files alone, copied onto an empty filesystem, and
	// merges it (BuildKit's MergeOp): the layer holds the destination's parent directories
	// as the copy created them. With --chmod BuildKit does a plain copy instead.
	link := c.link && c.chmod == ""
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
	name := b.stepName(st, c.original)
	type source struct {
		fsys      fs.FS
		keepOwner bool
		matches   []string // clean relative paths ("" = the root)
		include   string   // --parents: the pattern below the root that selects files
	}
	var sources []source
	keyParts := []string{st.key, "copy", strconv.FormatBool(c.add), strconv.FormatBool(c.unpack), dest, strconv.FormatBool(destDir), c.chown, c.chmod, src.key,
		strconv.FormatBool(link), strconv.FormatBool(c.parents), strings.Join(c.excludes, "\x00")}
	for _, sp := range c.sources {
		msg += " " + sp
		var matches []string
		include := ""
		p := fsys.Clean(sp)
		if c.parents {
			// The part after "/./" is kept below the destination; without one, the whole path.
			root, pattern, ok := strings.Cut(sp, "/./")
			if !ok {
				root, pattern = "/", sp
			}
			p, include = fsys.Clean(root), fsys.Clean(pattern)
			if !strings.ContainsAny(root+pattern, "*?[") {
				req := path.Join(p, include)
				if _, err := fs.Stat(src.fsys, orDot(req)); err != nil {
					return b.failStep(st, name, fmt.Errorf("failed to calculate checksum: %q: not found", "/"+req))
				}
			}
		}
		if !c.parents && strings.ContainsAny(p, "*?[") {
			m, err := fs.Glob(src.fsys, p)
			if err != nil {
				return fmt.Errorf("bad pattern %q: %w", sp, err)
			}
			matches = m
		} else {
			if _, err := fs.Stat(src.fsys, orDot(p)); err != nil {
				// BuildKit says "checksum of ref <snapshot id>": layerlab has no such ids.
				return b.failStep(st, name, fmt.Errorf("failed to calculate checksum: %q: not found", "/"+p))
			}
			matches = []string{p}
		}
		var sums []string
		for _, m := range matches {
			sel, err := selectPaths(src.fsys, m, include, exclude)
			if err != nil {
				return err
			}
			sum, err := b.checksum(ctx, src.fsys, []string{m}, sel)
			if err != nil {
				return err
			}
			keyParts = append(keyParts, sp, m, include, sum)
			sums = append(sums, sum)
		}
		b.noteCopy(ctx, c.original, st.key, sp, strings.Join(sums, ","), src.fsys, matches)
		sources = append(sources, source{src.fsys, src.keepOwner, matches, include})
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
		sources = append(sources, source{doc.IOFS(), false, []string{name}, ""})
	}
	msg += " " + c.dest
	key := hashKey(keyParts...)
	apply := func(f *fsys.FS) error {
		uid, gid := -1, -1
		if c.chown != "" {
			var err error
			if uid, gid, err = lookupUser(f, c.chown); err != nil {
				return err
			}
		}
		for _, s := range sources {
			cp := &copier{ctx: s.fsys, f: f, uid: uid, gid: gid, keepOwner: s.keepOwner, mode: mode, modeSet: modeSet, now: b.o.Now(), unpack: c.unpack}
			for _, m := range s.matches {
				sel, err := selectPaths(s.fsys, m, s.include, exclude)
				if err != nil {
					return err
				}
				cp.sel = sel
				if s.include != "" {
					// --parents copies the root's contents, filtered, into the destination.
					if err := cp.copy(m, dest, true); err != nil {
						return err
					}
					continue
				}
				if err := cp.copy(m, dest, destDir); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if link {
		err = b.linkStep(ctx, st, name, key, apply)
	} else {
		err = b.step(ctx, st, name, key, apply)
	}
	if err != nil {
		return err
	}
	b.history(st, msg+" # buildkit", true)
	return nil
}

// checksum is the content key of COPY sources: names, types, modes, sizes, link targets and
// contents, never mtimes (BuildKit's content checksum).
func (b *builder) checksum(cctx context.Context, ctx fs.FS, matches []string, sel map[string]bool) (string, error) {
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
			if sel != nil && p != root && !sel[relTo(root, p)] {
				if d.IsDir() {
					return fs.SkipDir
				}
				return nil
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
				sum, err := b.contentSum(cctx, ctx, p, info)
				if err != nil {
					return err
				}
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
	modeSet   *chmod.Set      // --chmod in symbolic form
	sel       map[string]bool // paths below the copied root to copy (nil: all)
	root      string          // the copied root, for sel
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
	c.root = src
	// fsutil creates the destination's missing directories with the --chmod mode when it
	// is octal (so COPY --chmod=600 f /new/ makes /new 0600), else 0755.
	dirMode := int64(0o755)
	if c.mode != nil {
		dirMode = *c.mode
	}
	if info.IsDir() {
		if err := c.f.MkdirAll(path.Dir("/"+rdest), dirMode, du, dg, c.now); err != nil {
			return err
		}
		// The destination itself is made like its parents (or kept, if it exists): only its
		// time comes from the source directory.
		top := fsys.Node{Type: tar.TypeDir, Mode: dirMode, UID: du, GID: dg}
		if old := c.f.Get(rdest); old != nil && old.IsDir() {
			top = *old
		}
		return c.copyDir(name, rdest, info, &top)
	}
	if c.unpack {
		if ok, err := c.tryUnpack(name, rdest); ok || err != nil {
			return err
		}
	}
	if n := c.f.Get(rdest); destDir || (n != nil && n.IsDir()) {
		if err := c.f.MkdirAll("/"+rdest, dirMode, du, dg, c.now); err != nil {
			return err
		}
		rdest = path.Join(rdest, path.Base("/"+src))
	} else if err := c.f.MkdirAll(path.Dir("/"+rdest), dirMode, du, dg, c.now); err != nil {
		return err
	}
	return c.copyFile(name, rdest, info)
}

func (c *copier) meta(info fs.FileInfo) (int64, time.Time) {
	m := tarMode(info.Mode())
	switch {
	case c.modeSet != nil:
		m = tarMode(c.modeSet.Apply(info.Mode()))
	case c.mode != nil:
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

func (c *copier) copyDir(src, dest string, info fs.FileInfo, top *fsys.Node) error {
	m, mt := c.meta(info)
	uid, gid := c.owner(info)
	if top != nil {
		m, uid, gid = top.Mode, top.UID, top.GID
	}
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
		if c.sel != nil && !c.sel[relTo(orDot(c.root), cs)] {
			continue
		}
		if e.IsDir() {
			if err := c.copyDir(cs, cd, ci, nil); err != nil {
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
// /etc/group (core/shell's reading, shared with chown).
func lookupUser(f *fsys.FS, spec string) (int, int, error) {
	return sh.LookupUser(context.Background(), sh.NewImageFS(f, 0, 0, time.Time{}), spec)
}

// describe is a record's du description: the step without its "[2/5] " position, as
// BuildKit describes a snapshot by the operation that made it.
func describe(name string) string {
	if i := strings.Index(name, "] "); i >= 0 && strings.HasPrefix(name, "[") {
		return name[i+2:]
	}
	return name
}

// orDot is "." for the root of an fs.FS, which names it "" elsewhere.
func orDot(p string) string {
	if p == "" {
		return "."
	}
	return p
}
