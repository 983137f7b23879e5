package config

import (
	"errors"
	"fmt"
	"strings"
)

// Error is one problem with a configuration: where it is and what is wrong.
//
// Path is the field path in the document ("upstream.qps", "jobs[1].schedule"); it is empty
// for problems that belong to no field (malformed YAML, an unreadable file). Line is the
// 1-based line of the field, or of the nearest enclosing field when the field itself is
// absent; 0 when unknown. Err is the underlying cause, if any, for errors.Is and errors.As;
// its text is already part of Msg.
type Error struct {
	Path string
	Line int
	Msg  string
	Err  error
}

// Error formats e as "line N: path: msg", leaving out the parts that are unknown.
func (e *Error) Error() string {
	var b strings.Builder
	if e.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap returns the underlying cause, or nil.
func (e *Error) Unwrap() error { return e.Err }

// Errors is every problem found in one configuration, in document order. Parse and Load
// report all of them at once rather than stopping at the first, so one round of edits can
// fix them all. An Errors returned by this package is never empty.
type Errors []*Error

// Error formats the list one problem per line. A single problem reads like that *Error.
func (es Errors) Error() string {
	switch len(es) {
	case 0:
		return "no configuration errors"
	case 1:
		return es[0].Error()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d problems:", len(es))
	for _, e := range es {
		b.WriteString("\n  ")
		b.WriteString(e.Error())
	}
	return b.String()
}

// Unwrap returns the problems as errors, so errors.As finds an *Error in an Errors.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// IsConfigError reports whether err, or an error it wraps, is a configuration problem (an
// *Error or an Errors) as opposed to a runtime failure. Every error Load and Parse return
// is one; cmd/syncd maps them to exit status 2.
func IsConfigError(err error) bool {
	var e *Error
	return errors.As(err, &e)
}
