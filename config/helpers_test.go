package config

import (
	"errors"
	"strings"
	"testing"
)

// validUpstream is the smallest upstream section that validates.
const validUpstream = `upstream:
  base_url: https://api.example.com
  access_key: ak-0123456789abcdef0123
  secret_key: sk-fedcba9876543210
  user_id: "2100007341207"
`

// jobsDoc is a valid upstream plus the given jobs list body.
func jobsDoc(jobs string) string { return validUpstream + "jobs:\n" + jobs }

// env returns a getenv reading from m.
func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// noEnv is a getenv with nothing set.
func noEnv(string) string { return "" }

// mustParse parses doc and fails the test on any error.
func mustParse(t *testing.T, doc string, getenv func(string) string) *Config {
	t.Helper()
	if getenv == nil {
		getenv = noEnv
	}
	cfg, err := Parse([]byte(doc), getenv)
	if err != nil {
		t.Fatalf("Parse: %v\n--- document:\n%s", err, doc)
	}
	return cfg
}

// parseErrors parses doc, requires it to fail with configuration errors and returns them.
func parseErrors(t *testing.T, doc string, getenv func(string) string) Errors {
	t.Helper()
	if getenv == nil {
		getenv = noEnv
	}
	cfg, err := Parse([]byte(doc), getenv)
	if err == nil {
		t.Fatalf("Parse succeeded, want an error; got %+v\n--- document:\n%s", cfg, doc)
	}
	if cfg != nil {
		t.Errorf("Parse returned a Config with an error")
	}
	if !IsConfigError(err) {
		t.Fatalf("IsConfigError(%v) = false", err)
	}
	var es Errors
	if !errors.As(err, &es) {
		t.Fatalf("Parse error %T is not an Errors", err)
	}
	if len(es) == 0 {
		t.Fatal("Parse returned an empty Errors")
	}
	return es
}

// findError returns the error at path, or nil.
func findError(es Errors, path string) *Error {
	for _, e := range es {
		if e.Path == path {
			return e
		}
	}
	return nil
}

func listErrors(es Errors) string {
	var b strings.Builder
	for _, e := range es {
		b.WriteString("\n  ")
		b.WriteString(e.Error())
	}
	return b.String()
}
