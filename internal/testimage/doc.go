// Package testimage makes small, byte-for-byte reproducible images for registry tests and for
// the script that records docker's pull and push output: the same call gives the same layer,
// config and manifest digests on every run, so output recorded from the real docker CLI can be
// compared with layerlab's own, digest for digest.
//
// It must not reach the network or the disk; callers push what it returns.
package testimage
