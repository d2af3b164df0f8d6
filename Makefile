# layerlab: `make run` builds everything and serves the playground; `make test` runs every test.
# Needs Go and Node (npm). make test installs Chromium (apt-get, as root) and wasmbrowsertest
# (go install, into .cache/bin) when they are missing.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DELETE_ON_ERROR:

GO       ?= go
ADDR     ?= 127.0.0.1:8080
FUZZTIME ?= 60s
# Packages whose tests also run as GOOS=js GOARCH=wasm in Chromium. Add a package here when
# it has browser-only tests or must be shown to work in the browser.
WASM_TEST_PKGS ?= ./wasm/... ./core/store

WASMBROWSERTEST_VERSION := v0.11.0
LOCALBIN  := $(CURDIR)/.cache/bin
WASMBROWSERTEST := $(LOCALBIN)/wasmbrowsertest
SITE      := cmd/layerlab/site
GOROOT    := $(shell $(GO) env GOROOT)
GO_SRC    := go.mod go.sum $(shell find . -name '*.go' -not -path './node_modules/*' -not -path './.cache/*')
WEB_SRC   := index.html web/build.mjs $(shell find web/src -type f)

.PHONY: run build test test-unit test-wasm test-e2e vet fuzz bench clean need-node need-chromium

## run: build everything and serve the playground on $(ADDR), printing its URL
run: build
	./bin/layerlab serve --addr $(ADDR)

## build: bin/layerlab with the built site (wasm + page bundle, precompressed) embedded
build: bin/layerlab

bin/layerlab: $(SITE)/index.html $(GO_SRC)
	$(GO) build -trimpath -o $@ ./cmd/layerlab

# The site: web/build.mjs bundles the page with esbuild, names assets by content and writes
# .br/.gz beside them into cmd/layerlab/site (git-ignored; go:embed picks it up).
$(SITE)/index.html: node_modules/.package-lock.json web/generated/layerlab.wasm web/generated/wasm_exec.js $(WEB_SRC)
	node web/build.mjs $(SITE)

# Rebuilt whenever Go code changed (go's cache makes that quick), but replaced only when the
# bytes differ, so an unrelated Go change does not recompress the site.
# nethttpomithttp2 leaves net/http's own HTTP/2 client out (~0.8 MB): in the browser every
# request goes through fetch, and the browser speaks HTTP/2 itself.
# Tried and left out (measured on the 22.4 MB build): GOWASM=satconv,signext changes nothing
# (+30 bytes); -gcflags=all=-l saves 0.3% for slower code; wasm-opt -Oz takes over 15 minutes.
WASM_TAGS ?= nethttpomithttp2
web/generated/layerlab.wasm: $(GO_SRC)
	@mkdir -p $(@D)
	GOOS=js GOARCH=wasm $(GO) build -tags '$(WASM_TAGS)' -trimpath -ldflags='-s -w' -o $@.tmp ./wasm
	@if cmp -s $@.tmp $@; then rm $@.tmp; touch -r $@ $@; else mv $@.tmp $@; fi

web/generated/wasm_exec.js: $(GOROOT)/lib/wasm/wasm_exec.js
	@mkdir -p $(@D)
	cp $< $@

# npm ci again only when the lockfile or package.json changed since the last install.
node_modules/.package-lock.json: package.json package-lock.json | need-node
	npm ci --no-audit --no-fund
	@touch $@

need-node:
	@command -v node >/dev/null && command -v npm >/dev/null || { \
	  echo "make: Node.js and npm are needed to build the page: install them (apt-get install -y nodejs npm, or from nodejs.org)" >&2; exit 1; }

## test: vet, unit tests with -race, wasm tests in Chromium, browser (e2e) tests
test: vet test-unit test-wasm test-e2e

vet: $(SITE)/index.html
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './node_modules/*'))" || { echo "gofmt needed:"; gofmt -l .; exit 1; }
	$(GO) vet ./...
	$(GO) vet -tags e2e ./e2e/...
	GOOS=js GOARCH=wasm $(GO) vet ./wasm/...

test-unit: $(SITE)/index.html
	$(GO) test -race -timeout 25m ./...

test-wasm: $(WASMBROWSERTEST) | need-chromium
	GOOS=js GOARCH=wasm $(GO) test -tags '$(WASM_TAGS)' -exec $(WASMBROWSERTEST) $(WASM_TEST_PKGS)

test-e2e: $(SITE)/index.html | need-chromium
	$(GO) test -tags e2e -count=1 ./e2e/...

$(WASMBROWSERTEST):
	GOBIN=$(LOCALBIN) $(GO) install github.com/agnivade/wasmbrowsertest@$(WASMBROWSERTEST_VERSION)

need-chromium:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "make: installing chromium (apt-get)"; \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
	  else \
	    echo "make: the wasm and browser tests need Chromium: run 'sudo apt-get install -y chromium' (Debian/Ubuntu), then make test again" >&2; exit 1; \
	  fi; }

## fuzz: run every Fuzz target for $(FUZZTIME) each (go test runs only their seeds)
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$f ($(FUZZTIME))"; \
	    $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 2s $$pkg; \
	  done; \
	done

## bench: the benchmark table (layerlab beside the real tools, as ratios)
bench: build
	$(GO) run ./bench

clean:
	rm -rf bin web/generated
	find $(SITE) -mindepth 1 -not -name .gitignore -delete
