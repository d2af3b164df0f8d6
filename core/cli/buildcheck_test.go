//go:build !js

package cli_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/layerlab/layerlab/core/buildcheck"
)

// checkCtx writes a context directory holding df and returns the run function.
func checkCtx(t *testing.T, df string) func(args ...string) result {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "ctx"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "ctx", "Dockerfile"), []byte(df), 0o644); err != nil {
		t.Fatal(err)
	}
	return buildEnv(t, dir)
}

// The report's words and layout are compared with real buildx in core/buildcheck; here the
// command must print that report, the progress buildx shows before it and the advice after.
func TestBuildCheckFlag(t *testing.T) {
	tests := []struct {
		name, df   string
		code       int
		wantHead   string
		wantAdvice []string
	}{
		{
			name:     "warnings",
			df:       "FROM busybox as Base\nMAINTAINER me\nCMD echo hi\n",
			code:     1,
			wantHead: "Check complete, 4 warnings have been found!\n\nWARNING: StageNameCasing - https://docs.docker.com/go/dockerfile/rule/stage-name-casing/\nStage name 'Base' should be lowercase\nDockerfile:1\n",
			wantAdvice: []string{
				"layerlab advice (not a BuildKit check): PinVersion: FROM busybox has no tag, so it means busybox:latest, which moves whenever a new version is pushed; pin a version (busybox:<version>) so a rebuild gives the same base (line 1)",
			},
		},
		{
			name:     "clean",
			df:       "FROM busybox:latest\nCMD [\"sh\"]\n",
			code:     0,
			wantHead: "Check complete, no warnings found.\n",
			wantAdvice: []string{
				"layerlab advice (not a BuildKit check): PinVersion: FROM busybox:latest moves whenever a new version is pushed; pin a version (busybox:<version>) so a rebuild gives the same base (line 1)",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := checkCtx(t, tc.df)("build", "--progress", "plain", "--check", "ctx")
			if r.code != tc.code {
				t.Fatalf("exit %d; want %d\nstdout:\n%s\nstderr:\n%s", r.code, tc.code, r.stdout, r.stderr)
			}
			if !strings.HasPrefix(r.stdout, tc.wantHead) {
				t.Errorf("stdout: got %q; want it to start with %q", r.stdout, tc.wantHead)
			}
			var want bytes.Buffer
			df := []byte(tc.df)
			buildcheck.WriteCheck(&want, "Dockerfile", df, buildcheck.Check(df, buildcheck.Options{All: true}))
			buildcheck.WriteAdvice(&want, buildcheck.Advise(df))
			if r.stdout != want.String() {
				t.Errorf("stdout: got %q; want %q", r.stdout, want.String())
			}
			for _, a := range tc.wantAdvice {
				if !strings.Contains(r.stdout, "\n"+a+"\n") {
					t.Errorf("stdout lacks the advice %q:\n%s", a, r.stdout)
				}
			}
			var vertices []string
			for _, l := range strings.Split(r.stderr, "\n") {
				if strings.HasPrefix(l, "#") && !strings.Contains(l, " DONE") && !strings.Contains(l, "transferring") {
					vertices = append(vertices, l)
				}
			}
			wantV := []string{"#1 [internal] load build definition from Dockerfile", "#2 [internal] load metadata for docker.io/library/busybox:latest", "#3 [internal] load .dockerignore"}
			if strings.Join(vertices, "\n") != strings.Join(wantV, "\n") {
				t.Errorf("progress vertices: got %q; want %q (buildx --check shows only these, without WARN lines)", vertices, wantV)
			}
		})
	}
}

func TestBuildPrintsWarningsThenAdvice(t *testing.T) {
	df := "FROM busybox AS Base\nMAINTAINER me\nRUN echo hi\n"
	r := checkCtx(t, df)("build", "--progress", "plain", "-t", "app", "ctx")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	warn := "#1 WARN: StageNameCasing: Stage name 'Base' should be lowercase (line 1)\n#1 WARN: MaintainerDeprecated: Maintainer instruction is deprecated in favor of using label (line 2)\n#1 DONE "
	if !strings.Contains(r.stderr, "#1 transferring dockerfile: 47B done\n"+warn) {
		t.Errorf("progress lacks the WARN lines under #1 (%q):\n%s", warn, r.stderr)
	}
	tail := "naming to docker.io/library/app:latest done\n"
	i := strings.Index(r.stderr, tail)
	if i < 0 {
		t.Fatalf("no export block:\n%s", r.stderr)
	}
	after := r.stderr[i+len(tail):]
	after = after[strings.Index(after, "\n")+1:] // the export's DONE line
	want := "\n \x1b[33m2 warnings found (use docker --debug to expand):\n\x1b[0m" +
		" - StageNameCasing: Stage name 'Base' should be lowercase (line 1)\n" +
		" - MaintainerDeprecated: Maintainer instruction is deprecated in favor of using label (line 2)\n" +
		"\nlayerlab advice (not a BuildKit check): PinVersion: FROM busybox has no tag, so it means busybox:latest, which moves whenever a new version is pushed; pin a version (busybox:<version>) so a rebuild gives the same base (line 1)\n"
	if after != want {
		t.Errorf("after the progress: got %q; want %q", after, want)
	}
	q := checkCtx(t, df)("build", "-q", "ctx")
	if q.code != 0 || strings.Contains(q.stderr, "warning") || strings.Contains(q.stdout, "advice") {
		t.Errorf("quiet build: exit %d, stdout %q, stderr %q; want only the image ID (buildx prints no summary when quiet)", q.code, q.stdout, q.stderr)
	}
}

func TestBuildCheckErrorTrueStopsTheBuild(t *testing.T) {
	r := checkCtx(t, "# check=error=true\nFROM busybox\nCMD echo hi\nRUN echo never\n")("build", "--progress", "plain", "ctx")
	if r.code != 1 {
		t.Fatalf("exit %d; want 1\n%s", r.code, r.stderr)
	}
	wantEnd := "\n \x1b[33m1 warning found (use docker --debug to expand):\n\x1b[0m - JSONArgsRecommended: JSON arguments recommended for CMD to prevent unintended behavior related to OS signals (line 3)\nerror: failed to solve: lint violation found for rules: JSONArgsRecommended\n"
	if !strings.HasSuffix(r.stderr, wantEnd) {
		t.Errorf("stderr: got %q; want it to end with %q", r.stderr, wantEnd)
	}
	if strings.Contains(r.stderr, "RUN echo never") || strings.Contains(r.stderr, "#4 ") {
		t.Errorf("the build went on after the lint violation:\n%s", r.stderr)
	}
}
