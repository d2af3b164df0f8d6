// Package proxy is the adapter between browsers and container registries: a CORS proxy
// (Handler, served by `layerlab serve` under /proxy/<registry-host>/...), with an optional
// size-bounded blob cache on disk shared by every client. The client-side http.RoundTrippers
// that send a registry client's requests through it are in core/proxy/client (aliased here),
// so that the browser does not link the server.
//
// It is an adapter package: it may import net, net/http and os (for the cache;
// core/imports_test.go says so). It must not be an open door: only GET, HEAD and OPTIONS
// (pushes only to upstreams the operator allows), only the registry API's path shapes and the
// token endpoints of allowlisted hosts, never a loopback, private or link-local address unless
// it is a configured mirror (checked on the resolved address at dial time), redirects followed
// only to allowlisted hosts, cookies never forwarded, the operator's upstream credentials
// never sent anywhere but that upstream's token endpoint, and every refusal a 4xx with a
// one-line reason, never a redirect.
package proxy
