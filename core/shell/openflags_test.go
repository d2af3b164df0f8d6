package shell

import (
	"os"
	"testing"
)

func TestOpenFlags(t *testing.T) {
	for _, tc := range []struct {
		name      string
		got, want int
	}{
		{"O_WRONLY", oWRONLY, os.O_WRONLY},
		{"O_RDWR", oRDWR, os.O_RDWR},
		{"O_CREATE", oCREATE, os.O_CREATE},
		{"O_TRUNC", oTRUNC, os.O_TRUNC},
		{"O_APPEND", oAPPEND, os.O_APPEND},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: got %#x; want %#x", tc.name, tc.got, tc.want)
		}
	}
}
