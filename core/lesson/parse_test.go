package lesson_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/layerlab/layerlab/core/lesson"
	"github.com/layerlab/layerlab/web/lessons"
)

const good = "---\ntitle: T\nsection: S\norder: 2\n---\n\n# T\n\nIntro text.\n\n## First\n\nDo it.\n\n```dockerfile\nFROM x\n```\n\n```command\ndocker pull x\n# a comment\n\ndocker images\n```\n\n```file path=app/Dockerfile\nFROM x\n```\n\n```check\nimage x exists\n# why: x\nnot image y exists\n```\n\n> hint: pull it\n> Hint: Really.\n\n## Second\n\n````file path=README.md\n```\ninside\n```\n````\n\n```check\nfile README.md exists\n```\n"

func TestParseGood(t *testing.T) {
	l, err := lesson.Parse("web/lessons/07-x.md", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if l.ID != "07-x" || l.Title != "T" || l.Section != "S" || l.Order != 2 || l.Intro != "Intro text." {
		t.Errorf("front matter: got %q %q %q %d intro %q", l.ID, l.Title, l.Section, l.Order, l.Intro)
	}
	if len(l.Steps) != 2 {
		t.Fatalf("got %d steps; want 2", len(l.Steps))
	}
	s := l.Steps[0]
	if s.Title != "First" || s.Line != 11 {
		t.Errorf("step 1: got %q at line %d; want \"First\" at 11", s.Title, s.Line)
	}
	if got, want := strings.Join(s.Commands, "|"), "docker pull x|docker images"; got != want {
		t.Errorf("commands: got %q; want %q", got, want)
	}
	if len(s.Files) != 1 || s.Files[0].Path != "app/Dockerfile" || s.Files[0].Content != "FROM x\n" {
		t.Errorf("files: got %+v", s.Files)
	}
	if len(s.Checks) != 2 || s.Checks[0].Line != 31 || s.Checks[1].Text != "not image y exists" {
		t.Errorf("checks: got %d, first at line %d", len(s.Checks), s.Checks[0].Line)
	}
	if got, want := strings.Join(s.Hints, "|"), "pull it|Really."; got != want {
		t.Errorf("hints: got %q; want %q", got, want)
	}
	if got, want := s.Text, "Do it.\n\n```dockerfile\nFROM x\n```"; got != want {
		t.Errorf("text: got %q; want %q", got, want)
	}
	if f := l.Steps[1].Files; len(f) != 1 || f[0].Content != "```\ninside\n```\n" {
		t.Errorf("a file holding a fence: got %+v", f)
	}
}

func TestParseErrors(t *testing.T) {
	fm := "---\ntitle: T\nsection: S\norder: 1\n---\n"
	step := "## S\n```check\nimage x exists\n```\n"
	tests := []struct{ name, src, want string }{
		{"no front matter", "## S\n", "x.md:1: a lesson starts with front matter"},
		{"unclosed front matter", "---\ntitle: T\n", "x.md:2: the front matter is not closed"},
		{"missing order", "---\ntitle: T\nsection: S\n---\n" + step, "x.md:4: the front matter has no order"},
		{"unknown key", "---\ntitle: T\nauthor: me\n---\n", `x.md:3: unknown front matter key "author"`},
		{"duplicate key", "---\ntitle: T\ntitle: U\n---\n", "x.md:3: title is already set on line 2"},
		{"bad order", "---\ntitle: T\nsection: S\norder: first\n---\n", `x.md:4: order "first" is not a whole number`},
		{"not key value", "---\ntitle T\n---\n", `x.md:2: front matter line "title T" is not "key: value"`},
		{"empty value", "---\ntitle:\n---\n", "x.md:2: title is empty"},
		{"no steps", fm + "Just text.\n", "x.md: the lesson has no steps"},
		{"step without check", fm + "## A\ntext\n## B\n```check\nimage x exists\n```\n", `x.md:6: step "A" has no check`},
		{"last step without check", fm + step + "## B\ntext\n", `x.md:10: step "B" has no check`},
		{"empty heading", fm + "##\n", "x.md:6: a step heading needs a title"},
		{"check before step", fm + "```check\nimage x exists\n```\n", "x.md:6: a ```check block before the first step"},
		{"hint before step", fm + "> hint: x\n", "x.md:6: a hint before the first step"},
		{"empty hint", fm + step + "> hint:\n", "x.md:10: the hint is empty"},
		{"unclosed fence", fm + "## S\n```check\nimage x exists\n", "x.md:7: the ```check block opened here is not closed"},
		{"unclosed text fence", fm + step + "```sh\nls\n", "x.md:10: the fenced block opened here is not closed"},
		{"bad check", fm + "## S\n```check\nimage x exists\nimage y sometimes\n```\n", `x.md:9: check "image y sometimes": write it as`},
		{"empty check block", fm + step + "```check\n\n```\n", "x.md:10: the ```check block is empty"},
		{"empty command block", fm + step + "```command\n```\n", "x.md:10: the ```command block is empty"},
		{"file without path", fm + "## S\n```file\nx\n```\n", "x.md:7: a ```file block needs its path"},
		{"file absolute", fm + "## S\n```file path=/etc/passwd\nx\n```\n", `x.md:7: file path "/etc/passwd": is absolute`},
		{"file dotdot", fm + "## S\n```file path=../x\nx\n```\n", `x.md:7: file path "../x": is not a clean path`},
		{"file twice", fm + step + "```file path=a\n```\n```file path=a\n```\n", "x.md:12: the step already offers a"},
		{"check with attrs", fm + "## S\n```check path=x\n```\n", "x.md:7: ```check does not take \"path=x\""},
		{"not utf8", fm + "\xff\n", "x.md: the file is not UTF-8 text"},
		{"nul", fm + "a\x00b\n", "x.md:6: the line holds a NUL byte"},
		{"too big", fm + strings.Repeat("x", lesson.MaxFileSize), "x.md: the file is"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := lesson.Parse("x.md", []byte(tc.src))
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("got %v; want an error starting %q", err, tc.want)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(good))
	f.Add([]byte("---\ntitle: T\nsection: S\norder: 1\n---\n## S\n```check\nconfig x .A == [1]\n```\n"))
	f.Add([]byte("---\n---\n"))
	f.Add([]byte("---\ntitle: T\nsection: S\norder: 1\n---\n## S\n````file path=a/b\n```\n````\n```check\nfile a/b contains \"\\\"\"\n```\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		l, err := lesson.Parse("f.md", src)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.md") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if len(l.Steps) == 0 {
			t.Fatal("a lesson without steps parsed")
		}
		for _, s := range l.Steps {
			if len(s.Checks) == 0 {
				t.Fatal("a step without checks parsed")
			}
			for _, fl := range s.Files {
				if fl.Path == "" || fl.Path[0] == '/' || strings.Contains(fl.Path, "..") && strings.Contains("/"+fl.Path+"/", "/../") {
					t.Fatalf("unsafe file path %q parsed", fl.Path)
				}
			}
			for _, c := range s.Checks {
				if _, err := lesson.ParseCheck(c.Text); err != nil {
					t.Fatalf("check %q parsed in the lesson but not alone: %v", c.Text, err)
				}
			}
		}
	})
}

func FuzzParseCheck(f *testing.F) {
	for _, s := range []string{"image x exists", `config a .B.C == {"x":[1,"2"]}`, `file a contains "\u00e9"`, "build steps 1..3 cached", "not logged out r.io", "hub ${USER}/x private"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := lesson.ParseCheck(s)
		if err != nil {
			return
		}
		if c.Text == "" {
			t.Fatal("a check without text parsed")
		}
	})
}

// TestEmbeddedCourse: the lessons the browser build carries all parse.
func TestEmbeddedCourse(t *testing.T) {
	ls, err := lesson.LoadFS(lessons.FS, ".")
	if err != nil {
		t.Fatal(err)
	}
	if len(ls) != 8 || ls[0].ID != "01-whats-in-an-image" || ls[7].ID != "08-assignment-node-app" {
		t.Errorf("got %d lessons, first %q; want the course's 8 in order", len(ls), ls[0].ID)
	}
}

func TestLoadFSReportsEveryBadFile(t *testing.T) {
	fsys := fstest.MapFS{
		"a.md":      {Data: []byte(good)},
		"b.md":      {Data: []byte("no front matter\n")},
		"c.md":      {Data: []byte("---\ntitle: x\n")},
		"notes.txt": {Data: []byte("ignored")},
	}
	ls, err := lesson.LoadFS(fsys, ".")
	if len(ls) != 1 || err == nil || !strings.Contains(err.Error(), "b.md:1: ") || !strings.Contains(err.Error(), "c.md:2: ") {
		t.Errorf("got %d lessons, %v; want a.md and errors for b.md and c.md", len(ls), err)
	}
}

func TestParseBOMAndCRLF(t *testing.T) {
	src := "\ufeff" + strings.ReplaceAll(good, "\n", "\r\n")
	l, err := lesson.Parse("x.md", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if l.Title != "T" || len(l.Steps) != 2 || l.Steps[0].Files[0].Content != "FROM x\n" {
		t.Errorf("got title %q, %d steps", l.Title, len(l.Steps))
	}
}
