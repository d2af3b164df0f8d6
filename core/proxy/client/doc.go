// Package client is the browser's side of core/proxy: http.RoundTrippers that send a registry
// client's (go-containerregistry's remote) requests to a `layerlab serve` — Transport through
// its CORS proxy at /proxy/<host>/..., HostMap to its practice hub at /v2/.
//
// It is an adapter package (it may import net/http) kept apart from the proxy's server code so
// that the wasm build links only these few functions. It must not hold policy: what may be
// reached is the proxy's decision, on the server.
package client
