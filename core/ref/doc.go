// Package ref parses image references exactly as Docker does (it uses the same
// distribution/reference rules Docker's client and engine use) and converts them to
// go-containerregistry's name.Reference, the type the rest of layerlab passes around.
//
// It must not know about storage or registries' availability: it only reads names.
package ref
