package config

import (
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestExpand(t *testing.T) {
	getenv := env(map[string]string{"A": "1", "B_2": "two", "EMPTY": ""})
	tests := []struct {
		in, want string
		unset    []string
		err      string
	}{
		{in: "no dollars", want: "no dollars"},
		{in: "${A}", want: "1"},
		{in: "${B_2}${A}", want: "two1"},
		{in: "${MISSING}", want: "", unset: []string{"MISSING"}},
		{in: "${EMPTY}x${MISSING}${EMPTY}", want: "x", unset: []string{"EMPTY", "MISSING"}},
		{in: "${MISSING:-d}", want: "d"},
		{in: "${EMPTY:-d}", want: "d"},
		{in: "${A:-d}", want: "1"},
		{in: "${MISSING:-${A}}", want: "${A}"}, // the default is literal up to the first "}"
		{in: "$$", want: "$"},
		{in: "$$$$", want: "$$"},
		{in: "$${A}", want: "${A}"},
		{in: "$$$${A}", want: "$${A}"},
		{in: "$$${A}", want: "$1"},
		{in: "$", want: "$"},
		{in: "a$", want: "a$"},
		{in: "$A", want: "$A"},
		{in: "100$ off", want: "100$ off"},
		{in: "${", err: "unterminated"},
		{in: "x${A", err: "unterminated"},
		{in: "${}", err: "invalid variable name"},
		{in: "${1A}", err: "invalid variable name"},
		{in: "${A-B}", err: "invalid variable name"},
		{in: "${A:?x}", err: "invalid variable name"},
	}
	for _, tt := range tests {
		got, err := expand(tt.in, getenv)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("expand(%q) error = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("expand(%q): %v", tt.in, err)
			continue
		}
		if got.value != tt.want || !reflect.DeepEqual(got.unset, tt.unset) {
			t.Errorf("expand(%q) = %q unset %q, want %q unset %q", tt.in, got.value, got.unset, tt.want, tt.unset)
		}
	}
}

func TestEscapeDollars_InvertsExpand(t *testing.T) {
	for _, s := range []string{"", "plain", "$", "$$", "${A}", "a$b$$c${", "${A:-x}"} {
		got, err := expand(escapeDollars(s), func(string) string { return "WRONG" })
		if err != nil || got.value != s {
			t.Errorf("expand(escapeDollars(%q)) = %q, %v", s, got.value, err)
		}
	}
}

func scalarNode(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: v} }
