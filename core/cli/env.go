package cli

import (
	"context"
	"io"
	"io/fs"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/layerlab/layerlab/core/proxy/client"
	"github.com/layerlab/layerlab/core/store"
)

// Env is everything a docker command may touch. The native CLI fills it from the process
// (os.Stdout, a store on disk); the browser fills it from the page (the terminal, IndexedDB).
type Env struct {
	Store  store.Store
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Files is the filesystem that file arguments (save -o, load -i, build contexts) name.
	Files Files
	// Now is the clock "2 weeks ago" is measured against.
	Now func() time.Time
	// Getenv reads the environment (DOCKER_* variables, SOURCE_DATE_EPOCH); may be nil.
	Getenv func(string) string
	// Remote, when set, gives the go-containerregistry options (above all the transport: the
	// browser's fetch through the CORS proxy, a test's mirror) that pull, push and login use.
	// nil means go-containerregistry's defaults, which reach loopback registries over http.
	Remote func() []remote.Option
	// Hub, when set, reaches the practice hub (`layerlab serve`): docker.io names are pushed
	// there, never to Docker Hub, and pulled from there when it holds them. Its transport is
	// expected to map Docker Hub's hosts onto the hub (proxy.HostMap).
	Hub func() []remote.Option
	// HubAPI, when set, reaches the practice hub's repository API (the hub command).
	HubAPI func() *client.HubAPI
	// TTY says Stdout is a terminal: pull and push then redraw each layer's line in place,
	// with progress bars, as docker does on a terminal.
	TTY bool
	// Width gives the terminal's width in columns (docker shows progress bars only when it is
	// over 110); nil or 0 means unknown, which docker takes as 200.
	Width func() int
	// Input is set when Stdin is a terminal someone types at: docker login then prompts for
	// the username and password its flags did not give.
	Input *Input
}

// Input is a terminal's keyboard side.
type Input struct {
	// Echo turns the terminal's echo of typed characters off (false) and back on (true), as
	// docker login does around its password prompt. The native CLI sets the tty's mode; in
	// the browser the page's terminal stops echoing. nil: the terminal cannot, and the
	// password shows as it is typed.
	Echo func(on bool) error
}

// File is an open file that can be read both as a stream and at offsets (a tar is read in two
// passes) and knows its size.
type File interface {
	io.Reader
	io.ReaderAt
	io.Closer
	Size() int64
}

// Files opens and creates files named by command arguments. Create's file appears under its
// name only when Close returns nil, so a failed save never leaves a half-written tar behind.
type Files interface {
	Open(name string) (File, error)
	Create(name string) (io.WriteCloser, error)
}

// DirFiles is Files that can also give a directory as an fs.FS: `docker build` needs it for
// its context. Run finds it by type assertion on Env.Files; without it build says the
// environment has no build contexts.
type DirFiles interface {
	Files
	// FS returns the directory dir (relative names as Open resolves them); an error if it
	// is not a directory.
	FS(dir string) (fs.FS, error)
}

// Command is one docker command (images, history, ...). Later work (build, pull, push,
// login) adds its commands to the same table with Register.
type Command struct {
	// Name is the command's word(s) as typed: "images", "image ls", "history".
	Name string
	// Run executes the command with its arguments (everything after Name) and returns the
	// exit code.
	Run func(ctx context.Context, env *Env, args []string) int
}
