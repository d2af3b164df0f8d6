// Command dropfields removes the image inspect members Engine 28 no longer sends
// (Container, ContainerConfig, VirtualSize) from one-line JSON that the docker CLI printed
// against Engine 20.10: `docker image inspect --format json` (an array of the engine's
// documents) and `--format '{{json .}}'` (one document). scripts/record-golden uses it; the
// 4-space-indented default output is handled there by transform_inspect.
//
// Lines that are not a JSON object or array of objects with an "Id" member pass through
// unchanged. Every other byte of a changed line is kept as recorded: members are copied as
// their raw bytes, only the dropped ones are left out.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
)

var drop = map[string]bool{"Container": true, "ContainerConfig": true, "VirtualSize": true}

func main() {
	in := bufio.NewReader(os.Stdin)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for {
		line, err := in.ReadBytes('\n')
		if len(line) > 0 {
			body := bytes.TrimSuffix(line, []byte("\n"))
			if b, ok := transform(body); ok {
				out.Write(b)
				if len(body) < len(line) {
					out.WriteByte('\n')
				}
			} else {
				out.Write(line)
			}
		}
		if err == io.EOF {
			return
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "dropfields:", err)
			os.Exit(1)
		}
	}
}

func transform(b []byte) ([]byte, bool) {
	switch {
	case len(b) > 0 && b[0] == '{':
		return object(b)
	case len(b) > 0 && b[0] == '[':
		var items []json.RawMessage
		if err := json.Unmarshal(b, &items); err != nil || len(items) == 0 {
			return nil, false
		}
		var buf bytes.Buffer
		buf.WriteByte('[')
		for i, it := range items {
			o, ok := object(it)
			if !ok {
				return nil, false
			}
			if i > 0 {
				buf.WriteByte(',')
			}
			buf.Write(o)
		}
		buf.WriteByte(']')
		return buf.Bytes(), true
	}
	return nil, false
}

// object copies a compact JSON object member by member, leaving out the dropped members.
func object(b []byte) ([]byte, bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, false
	}
	var buf bytes.Buffer
	buf.WriteByte('{')
	first, hasID := true, false
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, false
		}
		key, ok := t.(string)
		if !ok {
			return nil, false
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, false
		}
		hasID = hasID || key == "Id"
		if drop[key] {
			continue
		}
		if !first {
			buf.WriteByte(',')
		}
		first = false
		k, _ := json.Marshal(key)
		buf.Write(k)
		buf.WriteByte(':')
		buf.Write(raw)
	}
	buf.WriteByte('}')
	if !hasID {
		return nil, false
	}
	return buf.Bytes(), true
}
