// Package format runs the Go templates of docker's --format flags (images, history,
// inspect, system df): {{.Field}}, method calls, pipelines, variables, if/with/range with
// else, break/continue, and the predefined functions and, or, not, len, index, slice,
// print, printf, println, eq, ne, lt, le, gt, ge plus any FuncMap (docker's json, join,
// split, title, lower, upper, pad, truncate). What it prints, and the errors it reports,
// are text/template's (a differential test holds it to that).
//
// It exists so that the browser build does not link text/template: text/template finds
// methods with reflect's MethodByName, which makes the linker keep every exported method
// of every type in the program (about 4 MB of the wasm). Here a template calls only the
// methods listed in a Methods table (method expressions, found without MethodByName).
//
// It must not use reflect.Value.Method, MethodByName or reflect.Type.Method(ByName) (a test
// checks the linked wasm stays free of them), and it owns no docker formatting policy: the
// table layout and docker's functions live in core/cli. Not supported: define, template,
// block, complex number constants, and the functions html, js, urlquery and call
// (parsing says so).
package format
