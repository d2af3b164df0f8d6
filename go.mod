module github.com/layerlab/layerlab

go 1.26.8

require github.com/google/go-containerregistry v0.22.1

require (
	github.com/distribution/reference v0.6.0 // indirect
	github.com/klauspost/compress v1.20.3 // indirect
	github.com/opencontainers/go-digest v1.0.0 // indirect
)
