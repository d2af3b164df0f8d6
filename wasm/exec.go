package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/layerlab/layerlab/core/cli"
	"github.com/layerlab/layerlab/core/store"
)

// result is what exec resolves to.
type result struct {
	ExitCode int
	Stdout   string
	Stderr   string
}

// session is the core one page talks to: the store and the files commands name.
type session struct {
	store store.Store
	files cli.Files
	now   func() time.Time
}

// execLine runs one command line. Only "docker ..." lines exist until the shell arrives;
// anything else is answered the way a shell answers an unknown command.
func (s *session) execLine(ctx context.Context, line, stdin string) result {
	words, err := splitLine(line)
	if err != nil {
		return result{ExitCode: 2, Stderr: "layerlab: " + err.Error() + "\n"}
	}
	if len(words) == 0 {
		return result{}
	}
	if words[0] != "docker" {
		return result{ExitCode: 127, Stderr: words[0] + ": command not found (this playground runs docker commands, e.g. docker images)\n"}
	}
	var stdout, stderr bytes.Buffer
	env := &cli.Env{
		Store:  s.store,
		Stdin:  strings.NewReader(stdin),
		Stdout: &stdout,
		Stderr: &stderr,
		Files:  s.files,
		Now:    s.now,
	}
	code := cli.Run(ctx, env, words[1:])
	return result{ExitCode: code, Stdout: stdout.String(), Stderr: stderr.String()}
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
