module github.com/layerlab/layerlab

go 1.26.8

require (
	github.com/distribution/reference v0.6.0
	github.com/google/go-containerregistry v0.22.1
	github.com/klauspost/compress v1.20.3
)

require github.com/opencontainers/go-digest v1.0.0 // indirect
