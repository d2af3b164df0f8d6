package main

import (
	"context"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/layerlab/layerlab/core/store"
)

func TestSplitLine(t *testing.T) {
	tests := []struct {
		name, line string
		want       []string
		wantErr    string
	}{
		{"empty", "", nil, ""},
		{"blanks", " \t\n", nil, ""},
		{"words", "docker images -q", []string{"docker", "images", "-q"}, ""},
		{"extra blanks", "  docker\timages  ", []string{"docker", "images"}, ""},
		{"single quotes", `docker images --format '{{.ID}} {{.Tag}}'`, []string{"docker", "images", "--format", "{{.ID}} {{.Tag}}"}, ""},
		{"double quotes", `docker inspect --format "{{json .Config}}" app`, []string{"docker", "inspect", "--format", "{{json .Config}}", "app"}, ""},
		{"double quote escapes", `echo "a\"b\\c\$d\e"`, []string{"echo", `a"b\c$d\e`}, ""},
		{"backslash", `a\ b c\'d`, []string{"a b", "c'd"}, ""},
		{"adjacent quotes join", `'a'"b"c`, []string{"abc"}, ""},
		{"empty quoted word", `docker tag '' x`, []string{"docker", "tag", "", "x"}, ""},
		{"line continuation", "docker \\\nimages", []string{"docker", "images"}, ""},
		{"unterminated single", `docker 'images`, nil, "unterminated ' quote in the command line"},
		{"unterminated double", `docker "images`, nil, `unterminated " quote in the command line`},
		{"lone backslash", `docker \`, nil, `the command line ends with a lone \`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := splitLine(tc.line)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("err = %v; want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %q; want %q", got, tc.want)
			}
		})
	}
}

// FuzzSplitLine checks that any line either splits or fails cleanly, and that joining the
// words back with single quotes splits to the same words.
func FuzzSplitLine(f *testing.F) {
	for _, s := range []string{"docker images", `a 'b c' "d\"e" f\ g`, `"`, `'`, `\`, "x\\\ny", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		words, err := splitLine(line)
		if err != nil {
			return
		}
		var quoted []string
		for _, w := range words {
			quoted = append(quoted, "'"+strings.ReplaceAll(w, "'", `'\''`)+"'")
		}
		again, err := splitLine(strings.Join(quoted, " "))
		if err != nil {
			t.Fatalf("re-splitting %q: %v", quoted, err)
		}
		if len(words) == 0 && len(again) == 0 {
			return
		}
		if !reflect.DeepEqual(again, words) {
			t.Fatalf("re-split %q; want %q", again, words)
		}
	})
}

func TestExecLine(t *testing.T) {
	s := &session{store: store.NewMemory(), files: newMemFiles(), now: time.Now}
	tests := []struct {
		name, line string
		wantCode   int
		wantStdout string // prefix
		wantStderr string
	}{
		{"empty", "  ", 0, "", ""},
		{"images", "docker images", 0, "REPOSITORY   TAG       IMAGE ID   CREATED   SIZE\n", ""},
		{"not docker", "ls -l", 127, "", "ls: command not found (this playground runs docker commands, e.g. docker images)\n"},
		{"bad quoting", "docker 'images", 2, "", "layerlab: unterminated ' quote in the command line\n"},
		{"sleep", "sleep 0.01", 0, "", ""},
		{"sleep usage", "sleep", 1, "", "sleep: usage: sleep SECONDS\n"},
		{"sleep bad", "sleep soon", 1, "", "sleep: invalid time interval 'soon'\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr strings.Builder
			code := s.execLine(context.Background(), tc.line, strings.NewReader(""), &stdout, &stderr)
			if code != tc.wantCode {
				t.Errorf("exit code = %d; want %d (stderr %q)", code, tc.wantCode, stderr.String())
			}
			if got := stdout.String(); !strings.HasPrefix(got, tc.wantStdout) || (tc.wantStdout == "" && got != "") {
				t.Errorf("stdout = %q; want %q", got, tc.wantStdout)
			}
			if got := stderr.String(); got != tc.wantStderr {
				t.Errorf("stderr = %q; want %q", got, tc.wantStderr)
			}
		})
	}
}

func TestMemFiles(t *testing.T) {
	m := newMemFiles()
	if _, err := m.Open("x.tar"); err == nil || err.Error() != "open x.tar: no such file or directory" {
		t.Fatalf("Open of a missing file: err = %v; want %q", err, "open x.tar: no such file or directory")
	}
	w, _ := m.Create("x.tar")
	io.WriteString(w, "tarbytes")
	if _, err := m.Open("x.tar"); err == nil {
		t.Fatal("x.tar visible before Close")
	}
	w.Close()
	f, err := m.Open("x.tar")
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 3)
	f.ReadAt(b, 3)
	if f.Size() != 8 || string(b) != "bytes"[:3] {
		t.Errorf("size %d, ReadAt %q; want 8, %q", f.Size(), b, "byt")
	}
}

func TestSleepCanceled(t *testing.T) {
	s := &session{store: store.NewMemory(), files: newMemFiles(), now: time.Now}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	start := time.Now()
	code := s.execLine(ctx, "sleep 60", strings.NewReader(""), io.Discard, io.Discard)
	if code != 130 || time.Since(start) > 10*time.Second {
		t.Errorf("canceled sleep: exit %d after %v; want 130 at once", code, time.Since(start))
	}
}
