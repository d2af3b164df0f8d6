package proxy

import "github.com/layerlab/layerlab/core/proxy/client"

// The client-side RoundTrippers live in core/proxy/client (the browser links only that
// package); these names keep working for native callers.
type (
	// Transport is client.Transport.
	Transport = client.Transport
	// HostMap is client.HostMap.
	HostMap = client.HostMap
)

// RegistryHeader is client.RegistryHeader.
const RegistryHeader = client.RegistryHeader

// DockerHubHosts is client.DockerHubHosts.
var DockerHubHosts = client.DockerHubHosts
