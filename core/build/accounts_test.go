package build_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/layerlab/layerlab/core/build"
	"github.com/layerlab/layerlab/core/store"
	"github.com/layerlab/layerlab/internal/buildkitpeer"
	"github.com/layerlab/layerlab/internal/testimage"
)

// accountsConfig are the busybox options that make a static busybox with the account
// applets Debian's busybox-static leaves out (adduser, addgroup, deluser, delgroup), with
// Alpine's id ranges.
var accountsConfig = []string{
	"STATIC", "ADDUSER", "ADDGROUP", "DELUSER", "DELGROUP", "FEATURE_ADDUSER_TO_GROUP",
	"FEATURE_DEL_USER_FROM_GROUP", "FEATURE_SHADOWPASSWDS", "USE_BB_PWD_GRP", "USE_BB_SHADOW",
	"LONG_OPTS", "CHOWN",
}

// accountsBusybox returns a static busybox 1.35 (Debian's source, as busybox-static is
// built from) with the account applets, building it once into ~/.cache/layerlab (Debian's
// source package through apt, then make: a few minutes the first time).
func accountsBusybox(t *testing.T) string {
	t.Helper()
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(cache, "layerlab", "busybox-accounts")
	bin := filepath.Join(dir, "busybox")
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	src := filepath.Join(dir, "src")
	if err := os.MkdirAll(filepath.Join(src, "lists", "partial"), 0o755); err != nil {
		t.Fatal(err)
	}
	list := filepath.Join(src, "sources.list")
	if err := os.WriteFile(list, []byte("deb-src http://deb.debian.org/debian bookworm main\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	apt := []string{"-o", "Dir::Etc::SourceList=" + list, "-o", "Dir::Etc::SourceParts=/dev/null", "-o", "Dir::State::Lists=" + filepath.Join(src, "lists")}
	script := fmt.Sprintf(`set -e
cd %q
apt-get %s update
apt-get %s source --download-only busybox=1:1.35.0-4+deb12u1
tar xjf busybox_1.35.0.orig.tar.bz2
cd busybox-1.35.0
make allnoconfig
for o in %s; do sed -i "s/^# CONFIG_$o is not set/CONFIG_$o=y/" .config; done
sed -i 's/^CONFIG_LAST_ID=.*/CONFIG_LAST_ID=60000/; s/^CONFIG_FIRST_SYSTEM_ID=.*/CONFIG_FIRST_SYSTEM_ID=100/; s/^CONFIG_LAST_SYSTEM_ID=.*/CONFIG_LAST_SYSTEM_ID=999/' .config
yes "" | make oldconfig
make -j"$(nproc)"
cp busybox %q
`, src, strings.Join(apt, " "), strings.Join(apt, " "), strings.Join(accountsConfig, " "), bin)
	out, err := exec.Command("sh", "-c", script).CombinedOutput()
	if err != nil {
		t.Fatalf("building busybox with the account applets (needs Debian's apt sources and gcc): %v\n%s", err, lastLines(out, 20))
	}
	return bin
}

func lastLines(b []byte, n int) string {
	ls := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(ls[max(0, len(ls)-n):], "\n")
}

// TestAccountsConformance: adduser, addgroup, deluser and delgroup as real busybox runs
// them in a real BuildKit build (a busybox with those applets copied into the base, since
// Debian's has none), against layerlab's emulation: same config, same layers.
func TestAccountsConformance(t *testing.T) {
	bb := accountsBusybox(t)
	p := buildkitpeer.StartT(t)
	dir := t.TempDir()
	data, err := os.ReadFile(bb)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bb"), data, 0o755); err != nil {
		t.Fatal(err)
	}
	df := `FROM busybox
COPY bb /bin/bb-accounts
RUN for a in adduser addgroup deluser delgroup; do ln -s /bin/bb-accounts /usr/sbin/$a; done && printf 'root:*:19000:0:::::\nnobody:!::0:::::\n' > /etc/shadow && chmod 640 /etc/shadow
RUN addgroup -S app && adduser -S -G app app
RUN adduser -D -u 1000 user && adduser -D other && addgroup other app && adduser -S svc && id svc > /id.txt
RUN addgroup -g 2000 temp && delgroup temp && deluser other && adduser -D -H -s /bin/false -h /srv -g 'A B' nohome
RUN adduser -D root 2>/dev/null; echo "in use $?" > /err.txt; addgroup -g 100 x 2>/dev/null; echo "gid $?" >> /err.txt
`
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(df), 0o644); err != nil {
		t.Fatal(err)
	}
	args := map[string]string{"SOURCE_DATE_EPOCH": "0"}
	ref, err := p.Build(context.Background(), dir, buildkitpeer.BuildOptions{BuildArgs: args, SourceDateEpoch: "0"})
	if err != nil {
		t.Fatal(err)
	}
	s := store.NewMemory()
	testimage.Put(t, s, buildkitpeer.BaseRef, p.Base)
	res, err := buildLayerlabOpts(t, s, dir, build.Options{BuildArgs: args})
	if err != nil {
		t.Fatalf("layerlab build: %v", err)
	}
	compareImages(t, s, res, ref.Image)
}
