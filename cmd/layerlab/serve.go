package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	units "github.com/docker/go-units"

	"github.com/layerlab/layerlab/core/hub"
	"github.com/layerlab/layerlab/core/proxy"
)

// serve runs `layerlab serve [--addr HOST:PORT]` until ctx is done.
func serve(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("layerlab serve", flag.ContinueOnError)
	fl.SetOutput(stderr)
	addr := fl.String("addr", "127.0.0.1:8080", "`HOST:PORT` to listen on (port 0 picks a free port)")
	data := fl.String("data", "", "the practice hub's data `DIR` (default $LAYERLAB_HOME/serve)")
	var proxyOpts []proxy.Option
	fl.Func("mirror", "send an upstream registry's proxied traffic elsewhere: `UPSTREAM=URL` (docker.io=http://127.0.0.1:5000); repeatable", func(v string) error {
		up, u, ok := strings.Cut(v, "=")
		if !ok {
			return fmt.Errorf("want UPSTREAM=URL, got %q", v)
		}
		proxyOpts = append(proxyOpts, proxy.WithMirror(up, u))
		return nil
	})
	fl.Func("rate", "proxy requests a second per client, `N[/BURST]` (default 20/200; 0 turns the limit off)", func(v string) error {
		r, b, _ := strings.Cut(v, "/")
		rate, err := strconv.ParseFloat(r, 64)
		if err != nil {
			return fmt.Errorf("want N or N/BURST, got %q", v)
		}
		burst := int(rate * 10)
		if b != "" {
			if burst, err = strconv.Atoi(b); err != nil {
				return fmt.Errorf("want N or N/BURST, got %q", v)
			}
		}
		proxyOpts = append(proxyOpts, proxy.WithRate(rate, burst))
		return nil
	})
	fl.Func("trusted-proxy", "count proxy clients by X-Forwarded-For when the request comes from `CIDR`; repeatable", func(v string) error {
		p, err := netip.ParsePrefix(v)
		if err != nil {
			return err
		}
		proxyOpts = append(proxyOpts, proxy.WithTrustedProxies(p))
		return nil
	})
	fl.Func("allow", "add a registry `HOST` to the proxy's allowlist, or HOST/PATH for a token endpoint on it (auth.example.com/token); repeatable", func(v string) error {
		host, path, ok := strings.Cut(v, "/")
		if ok {
			proxyOpts = append(proxyOpts, proxy.WithAllow(host, "/"+path))
		} else {
			proxyOpts = append(proxyOpts, proxy.WithAllow(host))
		}
		return nil
	})
	var lateOpts []proxy.Option // need the allowlist complete
	fl.Func("allow-push", "let learners push through the proxy to the upstream `HOST` (docker.io); repeatable", func(v string) error {
		lateOpts = append(lateOpts, proxy.WithAllowPush(v))
		return nil
	})
	fl.Func("upstream-auth", "the operator's account for an upstream, `UPSTREAM=FILE` (docker.io=/etc/layerlab/hub-creds, FILE holding USER:PASSWORD), used for anonymous learners' pulls; repeatable", func(v string) error {
		up, file, ok := strings.Cut(v, "=")
		if !ok || up == "" || file == "" {
			return fmt.Errorf("want UPSTREAM=FILE, got %q", v)
		}
		user, pass, err := readCredentials(file)
		if err != nil {
			return fmt.Errorf("upstream-auth %s: %w", up, err)
		}
		proxyOpts = append(proxyOpts, proxy.WithUpstreamAuth(up, user, pass))
		return nil
	})
	cacheDir := fl.String("cache", "", "keep the proxy's digest-addressed downloads (blobs, manifests) in `DIR`, shared by all clients")
	cacheSize := fl.String("cache-size", "10GB", "the most the proxy `cache` holds (least recently used out first)")
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 125
	}
	if fl.NArg() > 0 {
		fmt.Fprintf(stderr, "layerlab serve: unexpected argument %q\n", fl.Arg(0))
		return 125
	}
	site, err := fs.Sub(siteFiles, "site")
	if err != nil {
		fmt.Fprintf(stderr, "layerlab serve: %v\n", err)
		return 1
	}
	h, err := newSiteHandler(site)
	if err != nil {
		fmt.Fprintf(stderr, "layerlab serve: %v\n", err)
		return 1
	}
	if *cacheDir != "" {
		n, err := units.FromHumanSize(*cacheSize)
		if err != nil || n <= 0 {
			fmt.Fprintf(stderr, "layerlab serve: --cache-size %q: want a size like 10GB or 500MB\n", *cacheSize)
			return 125
		}
		proxyOpts = append(proxyOpts, proxy.WithCache(*cacheDir, n))
	}
	px, err := proxy.New(append(proxyOpts, lateOpts...)...)
	if err != nil {
		fmt.Fprintf(stderr, "layerlab serve: %v\n", err)
		return 125
	}
	if *data == "" {
		home, err := defaultStoreDir(os.Getenv, os.UserHomeDir)
		if err != nil {
			fmt.Fprintf(stderr, "layerlab serve: %v\n", err)
			return 1
		}
		*data = filepath.Join(home, "serve")
	}
	hb, err := hub.New(*data)
	if err != nil {
		fmt.Fprintf(stderr, "layerlab serve: %v\n", err)
		return 1
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "layerlab serve: %v\n", err)
		return 1
	}
	srv := &http.Server{Handler: withRegistries(px, hb, h), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "layerlab: serving the playground at %s\n", siteURL(ln.Addr()))
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err = <-done:
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = srv.Shutdown(sctx)
		cancel()
	}
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(stderr, "layerlab serve: %v\n", err)
		return 1
	}
	return 0
}

// siteURL is the URL to open for a listener address; an unspecified host (":8080") is
// reachable as 127.0.0.1.
func siteURL(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return "http://" + a.String() + "/"
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/"
}

// withRegistries sends /proxy/... to the registry proxy and /v2/... and the token endpoint
// to the practice hub, by prefix checks: a ServeMux pattern would answer ".." paths with a
// redirect instead of the proxy's refusal.
func withRegistries(px, hb http.Handler, site http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		switch {
		case strings.HasPrefix(p, "/proxy/") || p == "/proxy":
			px.ServeHTTP(w, r)
		case strings.HasPrefix(p, "/v2/") || p == "/v2" || p == hub.TokenPath || strings.HasPrefix(p, hub.APIPath):
			hb.ServeHTTP(w, r)
		default:
			site.ServeHTTP(w, r)
		}
	})
}

// readCredentials reads USER:PASSWORD from the first line of file. Its errors never quote
// the file's content.
func readCredentials(file string) (string, string, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return "", "", fmt.Errorf("reading the credentials: %w", err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	user, pass, ok := strings.Cut(strings.TrimSpace(line), ":")
	if !ok || user == "" || pass == "" {
		return "", "", fmt.Errorf("%s must hold USER:PASSWORD on its first line", file)
	}
	return user, pass, nil
}
