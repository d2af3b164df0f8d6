package buildcheck

import (
	"errors"
	"fmt"
	"path"
	"regexp"
	"strings"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// The parts of containerd's platforms package the checks need (Parse, Format, Normalize),
// written here because the package brings log/slog and containerd/log into the browser
// build. OS versions and features ("windows(10.0.17763)/amd64") are not parsed: the
// checks then treat the platform as unparsable.

var platformPart = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

func parsePlatform(s string) (ocispecs.Platform, error) {
	var p ocispecs.Platform
	parts := strings.SplitN(s, "/", 4)
	for _, part := range parts {
		if !platformPart.MatchString(part) {
			return p, fmt.Errorf("%q is an invalid component of %q", part, s)
		}
	}
	p.OS = normalizeOS(parts[0])
	switch len(parts) {
	case 1:
		if knownOS(p.OS) {
			p.Architecture = defaultPlatform.Architecture
			return p, nil
		}
		p.OS = ""
		p.Architecture, p.Variant = normalizeArch(parts[0], "")
		if p.Architecture == "arm" && p.Variant == "v7" {
			p.Variant = ""
		}
		if knownArch(p.Architecture) {
			p.OS = defaultPlatform.OS
			return p, nil
		}
		return ocispecs.Platform{}, fmt.Errorf("%q: unknown operating system or architecture", s)
	case 2:
		p.Architecture, p.Variant = normalizeArch(parts[1], "")
		if p.Architecture == "arm" && p.Variant == "v7" {
			p.Variant = ""
		}
		return p, nil
	case 3:
		p.Architecture, p.Variant = normalizeArch(parts[1], parts[2])
		if p.Architecture == "arm64" && p.Variant == "" {
			p.Variant = "v8"
		}
		return p, nil
	}
	return ocispecs.Platform{}, errors.New(s + ": cannot parse platform specifier")
}

func formatPlatform(p ocispecs.Platform) string {
	if p.OS == "" {
		return "unknown"
	}
	return path.Join(p.OS, p.Architecture, p.Variant)
}

func normalizePlatform(p ocispecs.Platform) ocispecs.Platform {
	p.OS = normalizeOS(p.OS)
	p.Architecture, p.Variant = normalizeArch(p.Architecture, p.Variant)
	return p
}

func normalizeOS(os string) string {
	if os == "" {
		return defaultPlatform.OS
	}
	os = strings.ToLower(os)
	if os == "macos" {
		os = "darwin"
	}
	return os
}

func normalizeArch(arch, variant string) (string, string) {
	arch, variant = strings.ToLower(arch), strings.ToLower(variant)
	switch arch {
	case "i386":
		arch, variant = "386", ""
	case "x86_64", "x86-64", "amd64":
		arch = "amd64"
		if variant == "v1" {
			variant = ""
		}
	case "aarch64", "arm64":
		arch = "arm64"
		switch variant {
		case "8", "v8", "v8.0":
			variant = ""
		case "9", "9.0", "v9.0":
			variant = "v9"
		}
	case "armhf":
		arch, variant = "arm", "v7"
	case "armel":
		arch, variant = "arm", "v6"
	case "arm":
		switch variant {
		case "", "7":
			variant = "v7"
		case "5", "6", "8":
			variant = "v" + variant
		}
	}
	return arch, variant
}

func knownOS(os string) bool {
	switch os {
	case "aix", "android", "darwin", "dragonfly", "freebsd", "hurd", "illumos", "ios", "js", "linux", "nacl", "netbsd", "openbsd", "plan9", "solaris", "windows", "zos":
		return true
	}
	return false
}

func knownArch(arch string) bool {
	switch arch {
	case "386", "amd64", "amd64p32", "arm", "armbe", "arm64", "arm64be", "ppc64", "ppc64le", "loong64", "mips", "mipsle", "mips64", "mips64le", "mips64p32", "mips64p32le", "ppc", "riscv", "riscv64", "s390", "s390x", "sparc", "sparc64", "wasm":
		return true
	}
	return false
}
