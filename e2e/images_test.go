//go:build e2e

package e2e

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestImagesInTheBrowser: a real `docker save` tar loads in the page, and history and image
// inspect print there what real docker printed for the same images (testdata/golden, recorded
// by scripts/record-golden; -H=false so relative times do not enter) — and still do after a
// reload, from IndexedDB.
func TestImagesInTheBrowser(t *testing.T) {
	ctx := newBrowser(t)
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	openPage(t, ctx)

	golden := filepath.Join("..", "testdata", "golden")
	read := func(p ...string) []byte {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(append([]string{golden}, p...)...))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, name := range []string{"base", "all"} {
		b64 := base64.StdEncoding.EncodeToString(read("images", name+".tar"))
		eval[bool](t, ctx, `
			const bin = atob("`+b64+`");
			const b = new Uint8Array(bin.length);
			for (let i = 0; i < bin.length; i++) b[i] = bin.charCodeAt(i);
			await layerlab.writeFile("`+name+`.tar", b);
			return true;`)
	}
	run := func(line string) execResult {
		t.Helper()
		return eval[execResult](t, ctx, `return await layerlab.exec(`+jsString(line)+`)`)
	}
	for _, c := range []struct{ line, golden string }{
		{"docker load -i base.tar", "001-load-base"},
		{"docker load -i all.tar", "002-load-all"},
	} {
		if got := run(c.line); got.ExitCode != 0 || got.Stdout != string(read(c.golden, "stdout")) {
			t.Fatalf("%s = %+v; want stdout\n%s", c.line, got, read(c.golden, "stdout"))
		}
	}
	check := func(when string) {
		t.Helper()
		for _, c := range []struct{ line, golden string }{
			{"docker history -H=false layerlab/app:1.0", "028-history-human-false"},
			{"docker image inspect layerlab/app:1.0", "039-inspect-layerlab-app-1.0"},
			{"docker image inspect layerlab/base", "038-inspect-layerlab-base"},
		} {
			got := run(c.line)
			if want := string(read(c.golden, "stdout")); got.ExitCode != 0 || got.Stdout != want {
				t.Errorf("%s: %s = exit %d, stdout\n%s\nstderr %s\nwant (real docker)\n%s", when, c.line, got.ExitCode, got.Stdout, got.Stderr, want)
			}
		}
	}
	check("after load")
	if err := chromedp.Do(ctx, chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](waitCore, chromedp.EvalAwaitPromise)); err != nil {
		t.Fatalf("await layerlab.ready after reload: %v", err)
	}
	check("after reload")
	if got := run("docker images -q"); got.ExitCode != 0 || len(strings.Fields(got.Stdout)) < 5 {
		t.Errorf("docker images -q after reload = %+v; want the loaded images", got)
	}
}

func jsString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}
