package main

import (
	"reflect"
	"strings"
	"testing"
)

func TestStreamWriter(t *testing.T) {
	tests := []struct {
		name   string
		writes []string
		want   []string // emitted chunks
	}{
		{"ascii", []string{"REPOSITORY ", "TAG\n"}, []string{"REPOSITORY ", "TAG\n"}},
		{"split rune", []string{"a\xe2\x80", "\xa6b"}, []string{"a", "…b"}}, // … is e2 80 a6
		{"split 4-byte", []string{"\xf0", "\x9f\x90", "\xb3!"}, []string{"🐳!"}},
		{"invalid stays", []string{"\xff\xfe", "x"}, []string{"\xff\xfe", "x"}},
		{"incomplete at end", []string{"ok\xe2\x80"}, []string{"ok", "\xe2\x80"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			w := &streamWriter{emit: func(s string) { got = append(got, s) }}
			for _, s := range tc.writes {
				if n, err := w.Write([]byte(s)); n != len(s) || err != nil {
					t.Fatalf("Write = %d, %v", n, err)
				}
			}
			w.close()
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("emitted %q; want %q", got, tc.want)
			}
			if all := strings.Join(tc.writes, ""); w.String() != all {
				t.Errorf("String() = %q; want %q", w.String(), all)
			}
		})
	}
	w := &streamWriter{}
	w.Write([]byte("before"))
	w.close()
	w.Write([]byte("after cancel"))
	if w.String() != "before" {
		t.Errorf("after close: %q; want %q", w.String(), "before")
	}
}

func FuzzCompleteUTF8(f *testing.F) {
	for _, s := range []string{"", "a", "\xe2\x80", "🐳", "\xf0\x9f", "\xff"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		n := completeUTF8(b)
		if n < 0 || n > len(b) || len(b)-n > 3 {
			t.Fatalf("completeUTF8(%q) = %d", b, n)
		}
	})
}
