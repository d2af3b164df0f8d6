package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/layerlab/layerlab/core/cli"
	"github.com/layerlab/layerlab/core/store"
)

// workspace is the filesystem commands and the page share: cli.Files for commands, whole-file
// reads and writes for layerlab.readFile / writeFile. idbstore.Workspace is the browser's;
// memFiles stands in for it in native tests.
type workspace interface {
	cli.Files
	ReadFile(ctx context.Context, name string) ([]byte, error)
	WriteFile(ctx context.Context, name string, data []byte) error
}

// session is the core one page talks to: the store and the files commands name.
type session struct {
	store store.Store
	files workspace
	now   func() time.Time
}

// execLine runs one command line, writing its output to stdout and stderr as it comes, and
// returns its exit code. Only "docker ..." lines and the sleep builtin exist until the shell
// arrives; anything else is answered the way a shell answers an unknown command.
func (s *session) execLine(ctx context.Context, line string, stdin io.Reader, stdout, stderr io.Writer) int {
	words, err := splitLine(line)
	if err != nil {
		fmt.Fprintf(stderr, "layerlab: %v\n", err)
		return 2
	}
	if len(words) == 0 {
		return 0
	}
	switch words[0] {
	case "docker":
	case "sleep":
		return sleep(ctx, words[1:], stderr)
	default:
		fmt.Fprintf(stderr, "%s: command not found (this playground runs docker commands, e.g. docker images)\n", words[0])
		return 127
	}
	env := &cli.Env{
		Store:  s.store,
		Stdin:  stdin,
		Stdout: stdout,
		Stderr: stderr,
		Files:  s.files,
		Now:    s.now,
	}
	return cli.Run(ctx, env, words[1:])
}

// sleep is the shell's sleep (whole and fractional seconds): the command a learner, or a
// test, cancels with Ctrl-C.
func sleep(ctx context.Context, args []string, stderr io.Writer) int {
	if len(args) != 1 {
		fmt.Fprintln(stderr, "sleep: usage: sleep SECONDS")
		return 1
	}
	secs, err := strconv.ParseFloat(args[0], 64)
	if err != nil || secs < 0 || math.IsInf(secs, 0) || math.IsNaN(secs) {
		fmt.Fprintf(stderr, "sleep: invalid time interval '%s'\n", args[0])
		return 1
	}
	t := time.NewTimer(time.Duration(secs * float64(time.Second)))
	defer t.Stop()
	select {
	case <-t.C:
		return 0
	case <-ctx.Done():
		return 130
	}
}

// splitLine splits a command line into words as a POSIX shell does for plain words: blanks
// separate, 'single quotes' keep everything, "double quotes" keep everything but \" \\ \$ \`,
// and a backslash outside quotes keeps the next character. It does no expansion.
func splitLine(line string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '\'':
			inWord = true
			j := strings.IndexByte(line[i+1:], '\'')
			if j < 0 {
				return nil, errors.New("unterminated ' quote in the command line")
			}
			cur.WriteString(line[i+1 : i+1+j])
			i += j + 1
		case c == '"':
			inWord = true
			i++
			for ; ; i++ {
				if i >= len(line) {
					return nil, errors.New(`unterminated " quote in the command line`)
				}
				if line[i] == '"' {
					break
				}
				if line[i] == '\\' && i+1 < len(line) && strings.IndexByte("\"\\$`\n", line[i+1]) >= 0 {
					i++
					if line[i] == '\n' {
						continue
					}
				}
				cur.WriteByte(line[i])
			}
		case c == '\\':
			inWord = true
			if i+1 >= len(line) {
				return nil, errors.New("the command line ends with a lone \\")
			}
			i++
			if line[i] != '\n' {
				cur.WriteByte(line[i])
			}
		default:
			inWord = true
			cur.WriteByte(c)
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// errNoFile is returned by memFiles for a name never written.
var errNoFile = errors.New("no such file or directory")

func pathError(op, name string, err error) error { return fmt.Errorf("%s %s: %w", op, name, err) }
