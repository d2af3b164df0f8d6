package lesson_test

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestLessonQuotesAreDockersOutput: Docker output a lesson quotes is what the real tools
// print. Each quote is either in output recorded from them (core/cli/testdata/registry,
// recorded by scripts/record-registry-golden; versions in its VERSIONS file) or printed by
// the real docker CLI here. (CACHED, which lessons 5-7 quote, is compared with real BuildKit
// by core/cli's build tests.)
func TestLessonQuotesAreDockersOutput(t *testing.T) {
	logout := func(t *testing.T) string {
		if _, err := exec.LookPath("docker"); err != nil {
			t.Fatalf("the docker CLI is not installed (apt-get install docker.io): %v", err)
		}
		c := exec.Command("docker", "logout")
		c.Env = append(os.Environ(), "DOCKER_CONFIG="+t.TempDir(), "DOCKER_HOST=unix:///nonexistent")
		out, err := c.CombinedOutput()
		if err != nil {
			t.Fatalf("docker logout: %v: %s", err, out)
		}
		return string(out)
	}
	golden := func(name string) func(*testing.T) string {
		return func(t *testing.T) string {
			b, err := os.ReadFile(filepath.Join("../cli/testdata/registry", name))
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
	}
	tests := []struct {
		quote   string
		lessons []string
		source  func(*testing.T) string
	}{
		{"Using default tag: latest", []string{"02-docker-hub-official-images"}, golden("pull-shared.stdout")},
		{"Already exists", []string{"03-layers-and-cache", "08-assignment-node-app"}, golden("pull-shared.stdout")},
		{"Layer already exists", []string{"04-tagging-and-pushing"}, golden("push-again.stdout")},
		{"Removing login credentials for https://index.docker.io/v1/", []string{"04-tagging-and-pushing"}, logout},
	}
	for _, tc := range tests {
		t.Run(tc.quote, func(t *testing.T) {
			for _, l := range tc.lessons {
				b, err := os.ReadFile(filepath.Join(lessonsDir, l+".md"))
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(string(b), "`"+tc.quote+"`") {
					t.Errorf("lesson %s no longer quotes %q: update this table", l, tc.quote)
				}
			}
			if got := tc.source(t); !strings.Contains(got, tc.quote) {
				t.Errorf("the real tools' output does not contain %q:\n%s", tc.quote, got)
			}
		})
	}
}

// TestConfigJSONClaim: lesson 4 says config.json keeps the user name and password in base64,
// not encrypted; the config the real docker login wrote (recorded) shows it.
func TestConfigJSONClaim(t *testing.T) {
	b, err := os.ReadFile("../cli/testdata/registry/login.config.json")
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Auths map[string]struct{ Auth string } `json:"auths"`
	}
	if err := json.Unmarshal(b, &cfg); err != nil || len(cfg.Auths) != 1 {
		t.Fatalf("recorded config.json: %v %s", err, b)
	}
	for _, a := range cfg.Auths {
		dec, err := base64.StdEncoding.DecodeString(a.Auth)
		if err != nil || string(dec) != "learner:s3cret" {
			t.Errorf("auth decodes to %q, %v; want the recording's user:password", dec, err)
		}
	}
	l, _ := os.ReadFile(filepath.Join(lessonsDir, "04-tagging-and-pushing.md"))
	if !strings.Contains(string(l), "in base64: encoded, **not encrypted**") {
		t.Error("lesson 4 no longer makes this claim: update this test")
	}
}
