// Package dockerfile parses Dockerfiles with BuildKit's own parser, instructions and shell
// packages (github.com/moby/buildkit v0.33.1, never dockerfile2llb), so what layerlab accepts
// and rejects is what BuildKit accepts and rejects.
//
// It owns turning Dockerfile text into buildkit's instructions.Stage values and turning
// parse failures into errors that carry the line, the offending text and a suggestion.
// It must not build anything, touch files or print: the builder (core/build) takes it from here.
package dockerfile
