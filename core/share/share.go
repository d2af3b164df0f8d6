package share

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/klauspost/compress/flate"
)

// Version is the format Encode writes; Decode reads only it.
const Version = 1

// Prefix starts a build link's fragment.
const Prefix = "build="

// Limits. MaxFragment keeps links short enough for chat programs and mail to carry whole;
// the others bound what a hostile link can make the decoder allocate.
const (
	MaxFragment    = 16 << 10 // characters after '#'
	MaxContent     = 1 << 20  // all files, decompressed
	MaxFiles       = 256      // files in one link
	MaxPath        = 255      // bytes of one path
	MaxLessonID    = 64       // bytes of a lesson ID
	maxCompressed  = MaxFragment * 3 / 4
	maxDecoded     = MaxContent + MaxFiles*(MaxPath+2*binary.MaxVarintLen64) + MaxLessonID + 3*binary.MaxVarintLen64
	compressLevel  = flate.BestCompression
	noStep         = 0
	maxStepEncoded = 1000
)

// Link is what a build link carries.
type Link struct {
	// Lesson is the lesson's ID ("05-dockerfile-basics"), or "" for a workspace alone.
	Lesson string
	// Step is the lesson's step (0-based); meaningful only with Lesson.
	Step int
	// Files are the workspace's files, paths relative to it, sorted by path.
	Files []File
}

// File is one workspace file.
type File struct {
	Path string
	Data []byte
}

// TooLargeError is Encode's answer for a workspace that does not fit in a link.
type TooLargeError struct {
	Size, Limit int // characters
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("the build link would be %d characters; links are limited to %d (%d KiB): download the workspace as a file instead", e.Size, e.Limit, e.Limit>>10)
}

// Encode returns l's fragment ("build=..."), without the '#'.
func Encode(l Link) (string, error) {
	if err := validate(&l); err != nil {
		return "", fmt.Errorf("making a build link: %w", err)
	}
	total := 0
	for _, f := range l.Files {
		total += len(f.Data)
	}
	if total > MaxContent {
		return "", fmt.Errorf("making a build link: the files hold %d bytes; a link carries at most %d: download the workspace as a file instead", total, MaxContent)
	}
	var body []byte
	body = appendString(body, l.Lesson)
	step := uint64(noStep)
	if l.Lesson != "" {
		step = uint64(l.Step) + 1
	}
	body = binary.AppendUvarint(body, step)
	body = binary.AppendUvarint(body, uint64(len(l.Files)))
	for _, f := range l.Files {
		body = appendString(body, f.Path)
		body = appendString(body, string(f.Data))
	}
	var buf bytes.Buffer
	buf.WriteByte(Version)
	w, err := flate.NewWriter(&buf, compressLevel)
	if err != nil {
		return "", err
	}
	w.Write(body)
	if err := w.Close(); err != nil {
		return "", fmt.Errorf("making a build link: %w", err)
	}
	s := Prefix + base64.RawURLEncoding.EncodeToString(buf.Bytes())
	if len(s) > MaxFragment {
		return "", &TooLargeError{Size: len(s), Limit: MaxFragment}
	}
	return s, nil
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// Decode reads a build link's fragment: with or without the leading '#', starting with
// Prefix. Every error says what is wrong with the link; nothing is written anywhere.
func Decode(fragment string) (Link, error) {
	l, err := decode(fragment)
	if err != nil {
		return Link{}, fmt.Errorf("opening the build link: %w", err)
	}
	return l, nil
}

func decode(fragment string) (Link, error) {
	fragment = strings.TrimPrefix(fragment, "#")
	if len(fragment) > MaxFragment {
		return Link{}, fmt.Errorf("it is %d characters long; a build link has at most %d", len(fragment), MaxFragment)
	}
	enc, ok := strings.CutPrefix(fragment, Prefix)
	if !ok {
		return Link{}, fmt.Errorf("it does not start with %q", Prefix)
	}
	raw, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil {
		return Link{}, errors.New("it is not base64url text (was it cut short when copied?)")
	}
	if len(raw) == 0 {
		return Link{}, errors.New("it is empty")
	}
	if raw[0] != Version {
		return Link{}, fmt.Errorf("it is format version %d; this playground reads version %d", raw[0], Version)
	}
	zr := flate.NewReader(bytes.NewReader(raw[1:]))
	defer zr.Close()
	body, err := io.ReadAll(io.LimitReader(zr, maxDecoded+1))
	if err != nil {
		return Link{}, errors.New("its data is damaged (not valid DEFLATE)")
	}
	if len(body) > maxDecoded {
		return Link{}, fmt.Errorf("it unpacks to more than %d bytes", maxDecoded)
	}
	r := &reader{b: body}
	var l Link
	l.Lesson = r.string("the lesson ID", MaxLessonID)
	step := r.uvarint("the step")
	n := r.uvarint("the number of files")
	if r.err == nil && n > MaxFiles {
		return Link{}, fmt.Errorf("it holds %d files; a link holds at most %d", n, MaxFiles)
	}
	total := 0
	for i := uint64(0); i < n && r.err == nil; i++ {
		p := r.string("a file's path", MaxPath)
		d := r.string("a file's content", MaxContent-total)
		total += len(d)
		l.Files = append(l.Files, File{Path: p, Data: []byte(d)})
	}
	if r.err != nil {
		return Link{}, r.err
	}
	if len(r.b) != 0 {
		return Link{}, fmt.Errorf("it has %d bytes after its last file", len(r.b))
	}
	switch {
	case l.Lesson == "" && step != noStep:
		return Link{}, errors.New("it names a step without a lesson")
	case l.Lesson != "" && (step == noStep || step > maxStepEncoded):
		return Link{}, fmt.Errorf("its step %d is out of range", int64(step)-1)
	case l.Lesson != "":
		l.Step = int(step - 1)
	}
	if err := validate(&l); err != nil {
		return Link{}, err
	}
	return l, nil
}

type reader struct {
	b   []byte
	err error
}

func (r *reader) uvarint(what string) uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = fmt.Errorf("it ends early, in %s", what)
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) string(what string, max int) string {
	n := r.uvarint(what)
	if r.err != nil {
		return ""
	}
	if n > uint64(max) {
		r.err = fmt.Errorf("%s is %d bytes; at most %d fit", what, n, max)
		return ""
	}
	if n > uint64(len(r.b)) {
		r.err = fmt.Errorf("it ends early, in %s", what)
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

// validate checks the lesson ID and the paths, and sorts the files.
func validate(l *Link) error {
	if len(l.Lesson) > MaxLessonID {
		return fmt.Errorf("the lesson ID is %d bytes; at most %d", len(l.Lesson), MaxLessonID)
	}
	for _, c := range l.Lesson {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return fmt.Errorf("lesson ID %q holds %q: only letters, digits, '-', '_' and '.' are allowed", l.Lesson, c)
		}
	}
	if l.Step < 0 || l.Step >= maxStepEncoded {
		return fmt.Errorf("step %d is out of range", l.Step)
	}
	if len(l.Files) > MaxFiles {
		return fmt.Errorf("%d files; a link holds at most %d", len(l.Files), MaxFiles)
	}
	l.Files = append([]File(nil), l.Files...)
	sort.Slice(l.Files, func(i, j int) bool { return l.Files[i].Path < l.Files[j].Path })
	seen := map[string]bool{}
	for i, f := range l.Files {
		if err := CheckPath(f.Path); err != nil {
			return err
		}
		if i > 0 && l.Files[i-1].Path == f.Path {
			return fmt.Errorf("file %q is there twice", f.Path)
		}
		seen[f.Path] = true
	}
	// a path cannot be both a file and a folder of another file
	for _, f := range l.Files {
		for d := path.Dir(f.Path); d != "."; d = path.Dir(d) {
			if seen[d] {
				return fmt.Errorf("%q is a file, so %q cannot be inside it", d, f.Path)
			}
		}
	}
	return nil
}

// CheckPath accepts a workspace-relative file path: clean, not absolute, no "..", printable
// UTF-8, at most MaxPath bytes. The error quotes the path safely.
func CheckPath(p string) error {
	switch {
	case p == "":
		return errors.New("a file has an empty path")
	case len(p) > MaxPath:
		return fmt.Errorf("a path is %d bytes; at most %d", len(p), MaxPath)
	case !utf8.ValidString(p):
		return fmt.Errorf("path %q is not UTF-8", p)
	case strings.HasPrefix(p, "/"):
		return fmt.Errorf("path %q is absolute; a link's paths are relative to the workspace", p)
	case strings.ContainsRune(p, '\\'):
		return fmt.Errorf("path %q holds a backslash", p)
	case p == ".." || strings.HasPrefix(p, "../") || strings.HasSuffix(p, "/..") || strings.Contains(p, "/../"):
		return fmt.Errorf("path %q leaves the workspace (..)", p)
	case path.Clean(p) != p || p == ".":
		return fmt.Errorf("path %q is not clean (no ./, // or trailing /)", p)
	}
	for _, c := range p {
		if !unicode.IsPrint(c) || c == utf8.RuneError {
			return fmt.Errorf("path %q holds a control or unprintable character", p)
		}
	}
	return nil
}
