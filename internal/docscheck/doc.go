// Package docscheck holds tests that keep the documentation and the code in step: every
// section-sign reference to the RTChat wire protocol (written like "§3.4" in comments and
// docs) must name a section that has a heading in Part I of docs/protocol.md, and links to
// markdown anchors must resolve. The package has no code of its own; run
// `go test ./internal/docscheck/`.
package docscheck
