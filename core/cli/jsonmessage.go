package cli

import (
	"fmt"
	"io"
	"strings"

	units "github.com/docker/go-units"
)

// messages prints the engine's progress stream for pull and push as the docker CLI's
// jsonmessage display does. Layer lines ("0123456789ab: Pull complete") are progress messages:
// on a terminal each layer keeps one line that is redrawn in place (cursor up to it, erase
// it, write it, cursor back down below the last layer line), with a progress bar and byte
// counts while bytes move; elsewhere only the statuses without byte counts are printed, one
// line each. Any other message ("Digest: ...", "v1: Pulling from ...") is printed as a line
// and starts a new group of layer lines, as for each tag of pull -a.
type messages struct {
	w     io.Writer
	tty   bool
	width int
	ids   map[string]int // a layer's line, counted from the first of the group
}

// defaultWidth is what jsonmessage assumes when it cannot read the terminal's width.
const defaultWidth = 200

func newMessages(w io.Writer, env *Env) *messages {
	m := &messages{w: w, tty: env.TTY, width: defaultWidth, ids: map[string]int{}}
	if env.Width != nil {
		if n := env.Width(); n > 0 {
			m.width = n
		}
	}
	return m
}

// status prints a message that is not a layer's progress, with id (a tag) before it if given.
func (m *messages) status(id, text string) {
	m.ids = map[string]int{}
	if id != "" {
		fmt.Fprintf(m.w, "%s: ", id)
	}
	fmt.Fprintf(m.w, "%s\n", text)
}

// progress prints a layer's status; current and total are byte counts (0 when none).
func (m *messages) progress(id, status string, current, total int64) {
	bar := progressBar(current, total, m.width)
	if !m.tty {
		if bar == "" {
			fmt.Fprintf(m.w, "%s: %s\n", id, status)
		}
		return
	}
	line, ok := m.ids[id]
	if !ok {
		line = len(m.ids)
		m.ids[id] = line
		io.WriteString(m.w, "\n")
	}
	up := len(m.ids) - line
	fmt.Fprintf(m.w, "\x1b[%dA\x1b[2K\r%s: %s %s\r\x1b[%dB", up, id, status, bar, up)
}

// progressBar is jsonmessage's JSONProgress.String for byte counts: the bar (only on
// terminals wider than 110 columns), then current/total in go-units' human sizes. The
// engine sends no start time, so there is no time-left box.
func progressBar(current, total int64, width int) string {
	if current <= 0 && total <= 0 {
		return ""
	}
	if total <= 0 {
		return fmt.Sprintf("%8v", units.HumanSize(float64(current)))
	}
	pct := int(float64(current)/float64(total)*100) / 2
	pct = min(pct, 50)
	var box string
	if width > 110 {
		box = fmt.Sprintf("[%s>%s] ", strings.Repeat("=", pct), strings.Repeat(" ", max(50-pct, 0)))
	}
	numbers := fmt.Sprintf("%8v/%v", units.HumanSize(float64(current)), units.HumanSize(float64(total)))
	if current > total {
		numbers = fmt.Sprintf("%8v", units.HumanSize(float64(current)))
	}
	return box + numbers
}
