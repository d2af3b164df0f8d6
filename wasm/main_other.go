//go:build !(js && wasm)

package main

import (
	"fmt"
	"os"
)

// main explains itself when the bridge is built for the wrong platform: it only makes sense
// in a browser, built with GOOS=js GOARCH=wasm (make build does that).
func main() {
	fmt.Fprintln(os.Stderr, "layerlab wasm: this is the browser bridge; build it with GOOS=js GOARCH=wasm (make build)")
	os.Exit(2)
}
