package config

import (
	"fmt"
	"time"

	"gopkg.in/yaml.v3"
)

// Duration is a time.Duration written in the config as a Go duration string ("15s",
// "1m30s"). A bare number is rejected: "15" could mean seconds or nanoseconds.
type Duration time.Duration

// Std returns d as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// String formats d like time.Duration does ("15s").
func (d Duration) String() string { return time.Duration(d).String() }

// parseDuration parses a Go duration with the message the config reports.
func parseDuration(s string) (Duration, error) {
	v, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("want a Go duration such as \"15s\" or \"1m30s\", got %q", s)
	}
	return Duration(v), nil
}

// UnmarshalYAML decodes a duration string. Parse does not go through it (it decodes the
// node tree itself, to report field paths); it is here for callers that decode a Duration
// with yaml.v3 directly.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("want a Go duration such as \"15s\", got a %s", kindName(n))
	}
	v, err := parseDuration(n.Value)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalYAML encodes d as its duration string, so that YAML output parses back.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }
