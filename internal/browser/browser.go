package browser

import (
	"context"
	"errors"
	"fmt"
	"os/exec"

	"github.com/chromedp/chromedp"
)

// ErrNoChromium says Chromium is not installed.
var ErrNoChromium = errors.New("chromium is not installed: run `apt-get install -y chromium` (make test does this as root)")

type config struct {
	width, height int
	userDataDir   string
}

// An Option changes how Start starts Chromium.
type Option func(*config)

// WindowSize sets the window (and so the page's viewport) size; the default is 1280x800.
func WindowSize(w, h int) Option { return func(c *config) { c.width, c.height = w, h } }

// UserDataDir keeps the profile (HTTP cache, service workers, IndexedDB) in dir, so a second
// Start with the same dir sees a warm browser. By default every Start gets a fresh profile.
func UserDataDir(dir string) Option { return func(c *config) { c.userDataDir = dir } }

// Start starts headless Chromium and returns a context for its first tab; stop ends the
// browser. The browser is running when Start returns.
func Start(opts ...Option) (ctx context.Context, stop func(), err error) {
	c := config{width: 1280, height: 800}
	for _, o := range opts {
		o(&c)
	}
	path, err := exec.LookPath("chromium")
	if err != nil {
		return nil, nil, ErrNoChromium
	}
	flags := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.WindowSize(c.width, c.height),
	)
	if c.userDataDir != "" {
		flags = append(flags, chromedp.UserDataDir(c.userDataDir))
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), flags...)
	ctx, cancel := chromedp.NewContext(actx)
	stop = func() { cancel(); cancelAlloc() }
	// The first Do starts the browser; it must not carry a caller's timeout (see chromedp.Run).
	if err := chromedp.Do(ctx); err != nil {
		stop()
		return nil, nil, fmt.Errorf("starting chromium: %w", err)
	}
	return ctx, stop, nil
}

// WaitReady is a script that waits for the page to install globalThis.layerlab and for its
// store to open; it resolves to true.
const WaitReady = `(async () => {
	const deadline = Date.now() + 60000;
	while (!globalThis.layerlab) {
		if (Date.now() > deadline) throw new Error("globalThis.layerlab never appeared");
		await new Promise(r => setTimeout(r, 20));
	}
	await layerlab.ready;
	return true;
})()`

// Eval runs body as the body of an async function in the page and decodes what it returns.
func Eval[T any](ctx context.Context, body string) (T, error) {
	return chromedp.Run(ctx, chromedp.Evaluate[T]("(async () => { "+body+" })()", chromedp.EvalAwaitPromise))
}
