package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestGlobalFlags(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		wantStore string
		wantRest  []string
		wantErr   bool
	}{
		{"none", []string{"images"}, "", []string{"images"}, false},
		{"separate", []string{"--store", "/tmp/s", "history", "app"}, "/tmp/s", []string{"history", "app"}, false},
		{"equals", []string{"--store=/tmp/s", "images", "-q"}, "/tmp/s", []string{"images", "-q"}, false},
		{"single dash", []string{"-store", "d", "images"}, "d", []string{"images"}, false},
		{"command flags untouched", []string{"images", "--store", "x"}, "", []string{"images", "--store", "x"}, false},
		{"missing value", []string{"--store"}, "", nil, true},
		{"empty value", []string{"--store="}, "", nil, true},
		{"only flag", []string{"--store", "d"}, "d", nil, false},
		{"hub", []string{"--hub", "http://h:1", "--store", "d", "pull", "x"}, "d", []string{"pull", "x"}, false},
		{"hub equals", []string{"--hub=http://h:1", "images"}, "", []string{"images"}, false},
		{"hub none", []string{"--hub=", "images"}, "", []string{"images"}, false},
		{"hub missing value", []string{"--hub"}, "", nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g, rest, err := globalFlags(tc.args)
			store := g.store
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v; want error %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			if store != tc.wantStore {
				t.Errorf("store = %q; want %q", store, tc.wantStore)
			}
			if len(rest) != 0 || len(tc.wantRest) != 0 {
				if !reflect.DeepEqual(rest, tc.wantRest) {
					t.Errorf("rest = %q; want %q", rest, tc.wantRest)
				}
			}
		})
	}
}

func TestDefaultStoreDir(t *testing.T) {
	home := func() (string, error) { return "/home/u", nil }
	noHome := func() (string, error) { return "", errors.New("$HOME is not defined") }
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == "LAYERLAB_HOME" {
				return v
			}
			return ""
		}
	}
	tests := []struct {
		name    string
		getenv  func(string) string
		home    func() (string, error)
		want    string
		wantErr string
	}{
		{"env wins", env("/srv/ll"), home, "/srv/ll", ""},
		{"home", env(""), home, "/home/u/.layerlab", ""},
		{"env without home", env("/srv/ll"), noHome, "/srv/ll", ""},
		{"nothing", env(""), noHome, "", "finding the store directory: set LAYERLAB_HOME or pass --store: $HOME is not defined"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := defaultStoreDir(tc.getenv, tc.home)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("err = %v; want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestRunUsage(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{"no command", nil, 125, "", usage},
		{"help", []string{"--help"}, 0, usage, ""},
		{"bad store flag", []string{"--store"}, 125, "", "layerlab: flag needs an argument: --store\n\n" + usage},
		{"serve bad arg", []string{"serve", "extra"}, 125, "", "layerlab serve: unexpected argument \"extra\"\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tc.args, strings.NewReader(""), &stdout, &stderr)
			if code != tc.wantCode {
				t.Errorf("exit code = %d; want %d", code, tc.wantCode)
			}
			if stdout.String() != tc.wantStdout {
				t.Errorf("stdout = %q; want %q", stdout.String(), tc.wantStdout)
			}
			if stderr.String() != tc.wantStderr {
				t.Errorf("stderr = %q; want %q", stderr.String(), tc.wantStderr)
			}
		})
	}
}

func TestRunDispatchesToCLI(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"--store", t.TempDir(), "images"}, strings.NewReader(""), &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit code = %d; stderr %q", code, stderr.String())
	}
	if got, want := stdout.String(), "REPOSITORY   TAG       IMAGE ID   CREATED   SIZE\n"; !strings.HasPrefix(got, want) {
		t.Errorf("stdout = %q; want it to start with %q", got, want)
	}
}

func TestFilesCreateAppearsOnlyOnClose(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "out.tar")
	w, err := osFiles{}.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(name); !os.IsNotExist(err) {
		t.Fatalf("%s exists before Close (stat err %v)", name, err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(name)
	if err != nil || string(got) != "hello" {
		t.Fatalf("after Close read %q, %v; want %q", got, err, "hello")
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("directory holds %d entries; want only out.tar (temp file left behind?)", len(ents))
	}

	f, err := osFiles{}.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Size() != 5 {
		t.Errorf("Size() = %d; want 5", f.Size())
	}
	b := make([]byte, 3)
	if _, err := f.ReadAt(b, 2); err != nil || string(b) != "llo" {
		t.Errorf("ReadAt = %q, %v; want %q", b, err, "llo")
	}
}

func TestFilesCreateFailedWriteLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "out.tar")
	if err := os.WriteFile(name, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	w, err := osFiles{}.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	a := w.(*atomicFile)
	a.f.Close() // make the next write fail
	if _, err := w.Write([]byte("new")); err == nil {
		t.Fatal("write to a closed file succeeded")
	}
	if err := w.Close(); err == nil || !strings.Contains(err.Error(), "writing "+name) {
		t.Fatalf("Close err = %v; want one naming %s", err, name)
	}
	got, _ := os.ReadFile(name)
	if string(got) != "old" {
		t.Errorf("%s = %q after a failed write; want the old %q", name, got, "old")
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("directory holds %d entries; want only out.tar", len(ents))
	}
}

func TestFilesOpenErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct{ name, path, want string }{
		{"missing", filepath.Join(dir, "nope.tar"), "open " + filepath.Join(dir, "nope.tar") + ": no such file or directory"},
		{"directory", dir, "open " + dir + ": is a directory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := osFiles{}.Open(tc.path)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("err = %v; want %q", err, tc.want)
			}
		})
	}
}

func TestParseHub(t *testing.T) {
	tests := []struct {
		in, want, err string
	}{
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080", ""},
		{"https://lab.example/", "https://lab.example", ""},
		{"", "", ""},
		{"127.0.0.1:8080", "", `--hub "127.0.0.1:8080": want the URL of a running layerlab serve, like http://127.0.0.1:8080 (or --hub= for none)`},
		{"ftp://x", "", `--hub "ftp://x": want the URL of a running layerlab serve, like http://127.0.0.1:8080 (or --hub= for none)`},
	}
	for _, tc := range tests {
		u, err := parseHub(tc.in)
		got := ""
		if u != nil {
			got = u.String()
		}
		gotErr := ""
		if err != nil {
			gotErr = err.Error()
		}
		if got != tc.want || gotErr != tc.err {
			t.Errorf("parseHub(%q): got %q, %q; want %q, %q", tc.in, got, gotErr, tc.want, tc.err)
		}
	}
}
