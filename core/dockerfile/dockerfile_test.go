package dockerfile

import (
	"errors"
	"testing"
)

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, src       string
		line            int
		text, msg, hint string
	}{
		{"unknown instruction", "FROM busybox\nCOPPY a b\n", 2, "COPPY a b", "unknown instruction: COPPY", "did you mean COPY?"},
		{"no FROM", "COPY a b\n", 1, "COPY a b", "no build stage in current context", "start the Dockerfile with FROM"},
		{"copy one arg", "FROM busybox\nCOPY a\n", 2, "COPY a", "COPY requires at least two arguments, but only one was provided. Destination could not be determined", "see the instruction's form, e.g. COPY <src>... <dest>"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.src))
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("got %v; want an *Error", err)
			}
			if e.Line != tc.line || e.Text != tc.text || e.Msg != tc.msg || e.Suggestion != tc.hint {
				t.Errorf("got line %d text %q msg %q hint %q; want %d %q %q %q", e.Line, e.Text, e.Msg, e.Suggestion, tc.line, tc.text, tc.msg, tc.hint)
			}
		})
	}
}

func TestParseStages(t *testing.T) {
	f, err := Parse([]byte("ARG BASE=busybox\nFROM ${BASE} AS one\nENV A=1\nFROM one\nCOPY x /x\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(f.Stages), 2; got != want {
		t.Fatalf("got %d stages; want %d", got, want)
	}
	if got, want := len(f.MetaArgs), 1; got != want {
		t.Fatalf("got %d meta args; want %d", got, want)
	}
	if got, want := f.Stages[0].Name, "one"; got != want {
		t.Errorf("got stage name %q; want %q", got, want)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"FROM busybox\nRUN echo hi\n", "# escape=`\nFROM x\nCOPY a `\n b\n", "FROM a\nCOPY <<EOF /x\nhi\nEOF\n", "ARG A\nFROM $A\n", "FROM\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		file, err := Parse([]byte(src))
		if err == nil && len(file.Stages) == 0 {
			t.Fatal("no error and no stages")
		}
		var e *Error
		if err != nil && !errors.As(err, &e) {
			t.Fatalf("error %v is not an *Error", err)
		}
	})
}
