module github.com/layerlab/layerlab

go 1.26.8

require github.com/google/go-containerregistry v0.22.1

require github.com/andybalholm/brotli v1.2.8
