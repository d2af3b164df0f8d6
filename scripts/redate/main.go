// Command redate moves the timestamps of the images in `docker save` tars into the past, so
// that recordings of relative times ("17 months ago") do not change from one second to the
// next. scripts/record-golden uses it; the tars it writes are then loaded into the real engine
// and every golden file is recorded from that engine.
//
//	redate -to 2025-03-01T09:00:00Z a.tar b.tar ...
//
// The earliest `created` found in all the tars' image configs becomes -to; every `created`
// (the image's and each history entry's) moves back by the same amount. Each changed config is
// stored under its new digest (the image ID changes) and manifest.json follows. Layers are left
// as they are. The tars are rewritten in place, entries in their original order.
package main

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

func main() {
	to := flag.String("to", "2025-03-01T09:00:00Z", "time the earliest created becomes")
	flag.Parse()
	target, err := time.Parse(time.RFC3339Nano, *to)
	if err != nil {
		fail(err)
	}
	type entry struct {
		hdr  *tar.Header
		body []byte
	}
	files := map[string][]entry{}
	earliest := time.Time{}
	for _, name := range flag.Args() {
		f, err := os.Open(name)
		if err != nil {
			fail(err)
		}
		tr := tar.NewReader(f)
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				fail(fmt.Errorf("reading %s: %w", name, err))
			}
			b, err := io.ReadAll(tr)
			if err != nil {
				fail(err)
			}
			files[name] = append(files[name], entry{h, b})
			if isConfig(h.Name) {
				var c struct {
					Created time.Time `json:"created"`
				}
				if err := json.Unmarshal(b, &c); err != nil {
					fail(fmt.Errorf("%s: %s: %w", name, h.Name, err))
				}
				if earliest.IsZero() || c.Created.Before(earliest) {
					earliest = c.Created
				}
			}
		}
		f.Close()
	}
	shift := earliest.Sub(target)
	for _, name := range flag.Args() {
		renamed := map[string]string{}
		ents := files[name]
		for i, e := range ents {
			if !isConfig(e.hdr.Name) {
				continue
			}
			var c map[string]any
			if err := json.Unmarshal(e.body, &c); err != nil {
				fail(err)
			}
			c["created"] = move(c["created"], shift)
			if hs, ok := c["history"].([]any); ok {
				for _, h := range hs {
					if hm, ok := h.(map[string]any); ok && hm["created"] != nil {
						hm["created"] = move(hm["created"], shift)
					}
				}
			}
			b, err := json.Marshal(c)
			if err != nil {
				fail(err)
			}
			sum := sha256.Sum256(b)
			newName := hex.EncodeToString(sum[:]) + ".json"
			renamed[e.hdr.Name] = newName
			h := *e.hdr
			h.Name = newName
			h.Size = int64(len(b))
			ents[i] = entry{&h, b}
		}
		for i, e := range ents {
			if e.hdr.Name != "manifest.json" {
				continue
			}
			var m []map[string]any
			if err := json.Unmarshal(e.body, &m); err != nil {
				fail(err)
			}
			for _, im := range m {
				if n, ok := renamed[im["Config"].(string)]; ok {
					im["Config"] = n
				}
			}
			b, err := json.Marshal(m)
			if err != nil {
				fail(err)
			}
			h := *e.hdr
			h.Size = int64(len(b))
			ents[i] = entry{&h, b}
		}
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		for _, e := range ents {
			if err := tw.WriteHeader(e.hdr); err != nil {
				fail(err)
			}
			if _, err := tw.Write(e.body); err != nil {
				fail(err)
			}
		}
		if err := tw.Close(); err != nil {
			fail(err)
		}
		if err := os.WriteFile(name, buf.Bytes(), 0o644); err != nil {
			fail(err)
		}
	}
}

// isConfig says whether a legacy `docker save` entry is an image config: "<64 hex>.json" at
// the top level.
func isConfig(name string) bool {
	return len(name) == 64+len(".json") && strings.HasSuffix(name, ".json") && !strings.Contains(name, "/")
}

func move(v any, shift time.Duration) any {
	s, ok := v.(string)
	if !ok {
		return v
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		fail(fmt.Errorf("parsing created %q: %w", s, err))
	}
	return t.Add(-shift).UTC().Format(time.RFC3339Nano)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "redate:", err)
	os.Exit(1)
}
