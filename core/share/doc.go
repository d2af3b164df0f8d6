// Package share owns build links: a workspace (the Dockerfile and its build context's files)
// and, optionally, the lesson step it belongs to, carried in a page URL's fragment so that
// opening the link restores the same files in someone else's browser.
//
// The fragment is "build=" and base64url (no padding) of a versioned binary document: one
// version byte, then the body compressed with raw DEFLATE (klauspost/compress/flate). The
// body is the lesson ID, the step, and the files as length-prefixed path and content.
//
// A link is untrusted input: Decode bounds every size before and after decompression,
// refuses paths that are absolute, hold "..", or name one file twice, and refuses anything
// the schema does not have (trailing bytes, unknown versions). It only decodes: it must not
// write files, run builds or pulls (the page asks the learner first), nor import os or
// syscall/js.
package share
