module github.com/layerlab/layerlab

go 1.26.8

require github.com/google/go-containerregistry v0.20.6

require (
	github.com/clipperhouse/uax29/v2 v2.2.0 // indirect
	github.com/distribution/reference v0.6.0 // indirect
	github.com/docker/go-units v0.5.0 // indirect
	github.com/opencontainers/go-digest v1.0.0 // indirect
	github.com/spf13/pflag v1.0.6 // indirect
	golang.org/x/text v0.43.0 // indirect
)
