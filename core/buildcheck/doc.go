// Package buildcheck runs BuildKit v0.33.1's Dockerfile build checks (its 22 linter rules)
// without dockerfile2llb, and layerlab's own advice from the course, kept apart from them.
//
// It owns the checks: the four that BuildKit's parser and instructions packages run while
// parsing, and the eighteen BuildKit runs while converting the Dockerfile to LLB, which are
// re-implemented here over buildkit's instructions values by following the stages the way
// the converter dispatches them (the environment each stage sees, the ARGs in scope, the base
// images' configs). Names, descriptions, URLs and messages come from buildkit's linter.Rule*
// values, so the words are BuildKit's. `# check=skip=...;error=true` directives, in the file
// and in the comments above an instruction, are honoured as BuildKit honours them.
//
// It also owns the printing of findings in the shapes the real tools print them (progress
// WARN lines, buildx's summary after a build, `docker build --check`'s report) and
// layerlab's advice (Advise), which is never printed as if BuildKit had said it.
//
// It must not build, print by itself, read files or reach the network: base images' configs
// come from the caller (Options.Base), and output goes to the writer the caller passes.
package buildcheck
