package buildcheck_test

import (
	"bytes"
	"testing"

	"github.com/layerlab/layerlab/core/buildcheck"
)

func TestAdvise(t *testing.T) {
	tests := []struct {
		name, df, want string
	}{
		{
			name: "the course's node assignment as first written",
			df:   "FROM node:6-alpine\nRUN apk add --update tini\nWORKDIR /usr/src/app\nCOPY . .\nRUN npm install\nCMD [\"tini\", \"--\", \"node\", \"./bin/www\"]\n",
			want: "\n" +
				"layerlab advice (not a BuildKit check): CleanCache: apk add keeps its package index in this layer; use apk add --no-cache (line 2)\n" +
				"layerlab advice (not a BuildKit check): CacheOrder: COPY . . copies the whole context before `npm install` (line 5), so editing any file re-runs the install; copy the dependency files first (e.g. COPY package.json ./), install, then copy the rest (line 4)\n" +
				"layerlab advice (not a BuildKit check): CleanCache: npm install leaves its download cache in this layer; end the same RUN with && npm cache clean --force (line 5)\n",
		},
		{
			name: "the assignment done well",
			df:   "FROM node:6-alpine\nRUN apk add --no-cache tini\nWORKDIR /usr/src/app\nCOPY package.json package.json\nRUN npm install && npm cache clean --force\nCOPY . .\nCMD [\"tini\", \"--\", \"node\", \"./bin/www\"]\n",
			want: "",
		},
		{
			name: "no tag and latest",
			df:   "FROM nginx\nFROM debian:latest AS deb\nFROM deb\nFROM scratch\nFROM busybox@sha256:0000000000000000000000000000000000000000000000000000000000000000\n",
			want: "\n" +
				"layerlab advice (not a BuildKit check): PinVersion: FROM nginx has no tag, so it means nginx:latest, which moves whenever a new version is pushed; pin a version (nginx:<version>) so a rebuild gives the same base (line 1)\n" +
				"layerlab advice (not a BuildKit check): PinVersion: FROM debian:latest moves whenever a new version is pushed; pin a version (debian:<version>) so a rebuild gives the same base (line 2)\n",
		},
		{
			name: "apt-get update on its own, install without cleaning",
			df:   "FROM debian:12\nRUN apt-get update\nRUN apt-get install -y curl\n",
			want: "\n" +
				"layerlab advice (not a BuildKit check): AptUpdateInstall: apt-get update in a RUN of its own is cached and goes stale: a later apt-get install then reads old package lists; update and install in the same RUN (apt-get update && apt-get install -y ...) (line 2)\n" +
				"layerlab advice (not a BuildKit check): CleanCache: apt-get install leaves the package lists in this layer; end the same RUN with && rm -rf /var/lib/apt/lists/* (line 3)\n",
		},
		{
			name: "apt-get done well",
			df:   "FROM debian:12\nRUN apt-get update && apt-get install -y --no-install-recommends curl \\\n && rm -rf /var/lib/apt/lists/*\n",
			want: "",
		},
		{
			name: "heredoc and pip",
			df:   "FROM python:3.12\nCOPY . /app\nRUN <<EOF\npip install -r /app/requirements.txt\nEOF\n",
			want: "\n" +
				"layerlab advice (not a BuildKit check): CacheOrder: COPY . /app copies the whole context before `pip install` (line 3), so editing any file re-runs the install; copy the dependency files first (e.g. COPY package.json ./), install, then copy the rest (line 2)\n" +
				"layerlab advice (not a BuildKit check): CleanCache: pip install keeps its download cache in this layer; use pip install --no-cache-dir (line 3)\n",
		},
		{name: "does not parse", df: "FROM\n", want: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			buildcheck.WriteAdvice(&b, buildcheck.Advise([]byte(tc.df)))
			if got := b.String(); got != tc.want {
				t.Errorf("got %q; want %q", got, tc.want)
			}
		})
	}
}

func TestFindings(t *testing.T) {
	df := []byte("FROM busybox\nMAINTAINER me\nFROM nginx\n")
	r := buildcheck.Check(df, buildcheck.Options{})
	got := buildcheck.Findings(r.Warnings, buildcheck.Advise(df))
	want := []buildcheck.Finding{
		{Source: "buildkit", Rule: "MaintainerDeprecated", Message: "Maintainer instruction is deprecated in favor of using label", URL: "https://docs.docker.com/go/dockerfile/rule/maintainer-deprecated/", Line: 2},
		{Source: "layerlab", Rule: "PinVersion", Message: "FROM busybox has no tag, so it means busybox:latest, which moves whenever a new version is pushed; pin a version (busybox:<version>) so a rebuild gives the same base", Line: 1},
		{Source: "layerlab", Rule: "PinVersion", Message: "FROM nginx has no tag, so it means nginx:latest, which moves whenever a new version is pushed; pin a version (nginx:<version>) so a rebuild gives the same base", Line: 3},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d findings %+v; want %d", len(got), got, len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("finding %d: got %+v; want %+v", i, got[i], want[i])
		}
	}
}
