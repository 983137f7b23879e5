package config

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// decoder turns the YAML node tree into a Config by walking it against the Go types,
// rather than with yaml.Node.Decode, so that it can expand ${VAR} in scalar values only,
// reject unknown keys anywhere (Node.Decode has no KnownFields), keep defaults for keys
// that are absent or null, and report every problem with its field path and line.
//
// The schema's types are not recursive, so the walk is bounded by their depth however the
// document uses anchors and aliases.
type decoder struct {
	getenv func(string) string
	errs   Errors
	// lines maps a field path to the line of its key (or list item).
	lines map[string]int
	// unset maps a field path to the variables its value referenced that were unset.
	unset map[string][]string
	// bad holds the paths that already have an error; later errors on them are dropped so
	// that one mistake is reported once.
	bad map[string]bool
	// merged counts the pairs merge keys brought in, against maxMergedPairs.
	merged        int
	mergeLimitHit bool
}

func newDecoder(getenv func(string) string) *decoder {
	return &decoder{
		getenv: getenv,
		lines:  map[string]int{},
		unset:  map[string][]string{},
		bad:    map[string]bool{},
	}
}

// fail records a problem at path. The first problem at a path wins, and a path below
// one that already failed (a section of the wrong shape) reports nothing more: its
// fields were never decoded, so "required" there would be noise.
func (d *decoder) fail(path string, line int, format string, args ...any) {
	for p := path; ; p = parentPath(p) {
		if d.bad[p] {
			return
		}
		if p == "" {
			break
		}
	}
	d.bad[path] = true
	d.errs = append(d.errs, &Error{Path: path, Line: line, Msg: fmt.Sprintf(format, args...)})
}

// note records a problem at path without marking the path failed: the problem concerns
// one entry of a mapping (a complex key, a bad merge) while the rest still decodes.
func (d *decoder) note(path string, line int, format string, args ...any) {
	d.errs = append(d.errs, &Error{Path: path, Line: line, Msg: fmt.Sprintf(format, args...)})
}

// lineOf returns the line of path, or of its nearest ancestor that has one, or 0.
func (d *decoder) lineOf(path string) int {
	for path != "" {
		if l, ok := d.lines[path]; ok {
			return l
		}
		path = parentPath(path)
	}
	return 0
}

func parentPath(p string) string {
	i := strings.LastIndexAny(p, ".[")
	if i < 0 {
		return ""
	}
	return p[:i]
}

// sortedErrors returns the errors ordered by line; problems with no line come first, as
// they concern the document as a whole.
func (d *decoder) sortedErrors() Errors {
	es := append(Errors(nil), d.errs...)
	sort.SliceStable(es, func(i, j int) bool { return es[i].Line < es[j].Line })
	return es
}

// document decodes the root node into cfg.
func (d *decoder) document(root *yaml.Node, cfg *Config) {
	root = resolveAlias(root)
	if isNull(root) {
		return
	}
	if root.Kind != yaml.MappingNode {
		d.fail("", root.Line, "the config must be a mapping of keys (upstream, jobs, ...), got %s", describe(root))
		return
	}
	d.value("", root, reflect.ValueOf(cfg).Elem())
}

var durationType = reflect.TypeFor[Duration]()

// value decodes n into v, which holds the default; a null n leaves it.
func (d *decoder) value(path string, n *yaml.Node, v reflect.Value) {
	n = resolveAlias(n)
	if isNull(n) {
		return
	}
	switch {
	case v.Type() == durationType:
		d.scalar(path, n, v)
	case v.Kind() == reflect.Struct:
		d.structure(path, n, v)
	case v.Kind() == reflect.Slice:
		d.sequence(path, n, v)
	case v.Kind() == reflect.Map:
		d.mapping(path, n, v)
	default:
		d.scalar(path, n, v)
	}
}

func (d *decoder) structure(path string, n *yaml.Node, v reflect.Value) {
	if n.Kind != yaml.MappingNode {
		d.fail(path, n.Line, "want a mapping, got %s", describe(n))
		return
	}
	fields := yamlFields(v.Type())
	for _, p := range d.pairs(path, n, 0) {
		key := p.key.Value
		fp := joinPath(path, key)
		i, ok := fields[key]
		if !ok {
			d.fail(fp, p.key.Line, "unknown field%s", suggest(key, v.Type()))
			continue
		}
		d.lines[fp] = p.key.Line
		d.value(fp, p.val, v.Field(i))
	}
}

func (d *decoder) sequence(path string, n *yaml.Node, v reflect.Value) {
	if n.Kind != yaml.SequenceNode {
		d.fail(path, n.Line, "want a list, got %s", describe(n))
		return
	}
	if len(n.Content) == 0 {
		if v.Len() > 0 {
			// An explicit empty list overriding a non-empty default is a value, and stays
			// told apart from "use the default" downstream: "retry_codes: []" retries no
			// code, where a nil upstream.Options.RetryCodes means [429].
			v.Set(reflect.MakeSlice(v.Type(), 0, 0))
			return
		}
		v.SetZero()
		return
	}
	out := reflect.MakeSlice(v.Type(), 0, len(n.Content))
	for i, item := range n.Content {
		ip := fmt.Sprintf("%s[%d]", path, i)
		d.lines[ip] = item.Line
		elem := reflect.New(v.Type().Elem()).Elem()
		if elem.Type() == reflect.TypeFor[Job]() {
			elem.Set(reflect.ValueOf(defaultJob()))
		}
		d.value(ip, item, elem)
		out = reflect.Append(out, elem)
	}
	v.Set(out)
}

func (d *decoder) mapping(path string, n *yaml.Node, v reflect.Value) {
	if n.Kind != yaml.MappingNode {
		d.fail(path, n.Line, "want a mapping, got %s", describe(n))
		return
	}
	if v.IsNil() {
		v.Set(reflect.MakeMap(v.Type()))
	}
	for _, p := range d.pairs(path, n, 0) {
		fp := joinPath(path, p.key.Value)
		d.lines[fp] = p.key.Line
		elem := reflect.New(v.Type().Elem()).Elem()
		d.value(fp, p.val, elem)
		v.SetMapIndex(reflect.ValueOf(p.key.Value).Convert(v.Type().Key()), elem)
	}
}

// scalar decodes a scalar into a string, integer, float or Duration, expanding ${VAR}
// first. A value that expands to "" counts as absent.
func (d *decoder) scalar(path string, n *yaml.Node, v reflect.Value) {
	if n.Kind != yaml.ScalarNode {
		d.fail(path, n.Line, "want %s, got %s", typeName(v.Type()), describe(n))
		return
	}
	text := n.Value
	if strings.Contains(text, "$") {
		ex, err := expand(text, d.getenv)
		if err != nil {
			d.fail(path, n.Line, "%v", err)
			return
		}
		if len(ex.unset) > 0 {
			d.unset[path] = ex.unset
		}
		if ex.value == "" {
			return
		}
		// The expansion is a value, never YAML: a fresh plain scalar only has its
		// type (int, float, ...) resolved again, which is what "qps: ${QPS}" needs.
		text = ex.value
		n = &yaml.Node{Kind: yaml.ScalarNode, Value: text, Line: n.Line, Column: n.Column}
	}
	switch {
	case v.Type() == durationType:
		dur, err := parseDuration(text)
		if err != nil {
			d.fail(path, n.Line, "%v", err)
			return
		}
		v.SetInt(int64(dur))
	case v.Kind() == reflect.String:
		v.SetString(text)
	case v.CanInt():
		var x any
		_ = n.Decode(&x)
		i, ok := x.(int)
		if !ok || v.OverflowInt(int64(i)) {
			d.fail(path, n.Line, "want an integer, got %q", text)
			return
		}
		v.SetInt(int64(i))
	case v.CanFloat():
		var x any
		_ = n.Decode(&x)
		switch f := x.(type) {
		case int:
			v.SetFloat(float64(f))
		case float64:
			v.SetFloat(f)
		default:
			d.fail(path, n.Line, "want a number, got %q", text)
		}
	default:
		// Only reachable if the schema gains a type this decoder does not know.
		d.fail(path, n.Line, "cannot decode into %s", v.Type())
	}
}

type pair struct{ key, val *yaml.Node }

// pairs returns the key/value pairs of mapping n with merge keys ("<<: *anchor") applied:
// keys written in n win over merged ones, and earlier merged mappings over later ones. A
// key written twice is an error at its second occurrence.
func (d *decoder) pairs(path string, n *yaml.Node, depth int) []pair {
	var own, merged []pair
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.note(path, k.Line, "keys must be plain strings, got %s", describe(resolveAlias(k)))
			continue
		}
		if k.ShortTag() == "!!merge" {
			merged = append(merged, d.merge(path, val, depth+1)...)
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.fail(joinPath(path, k.Value), k.Line, "key written twice (first at line %d)", first.Line)
			continue
		}
		seen[k.Value] = k
		own = append(own, pair{k, val})
	}
	for _, p := range merged {
		if _, ok := seen[p.key.Value]; !ok {
			seen[p.key.Value] = p.key
			own = append(own, p)
		}
	}
	return own
}

// maxMergeDepth bounds merges of merges, which anchors can make circular, and
// maxMergedPairs the pairs merged into one document: merges of merges can repeat an
// anchor exponentially often (a "billion laughs"), and a config file needs few.
const (
	maxMergeDepth  = 8
	maxMergedPairs = 10_000
)

func (d *decoder) merge(path string, n *yaml.Node, depth int) []pair {
	n = resolveAlias(n)
	if depth > maxMergeDepth {
		d.note(path, n.Line, "merge keys (<<) nested too deep or circular")
		return nil
	}
	var maps []*yaml.Node
	switch n.Kind {
	case yaml.MappingNode:
		maps = []*yaml.Node{n}
	case yaml.SequenceNode:
		for _, m := range n.Content {
			if m = resolveAlias(m); m.Kind != yaml.MappingNode {
				d.note(path, m.Line, "merge (<<) wants a mapping or a list of mappings, got %s", describe(m))
				continue
			}
			maps = append(maps, m)
		}
	default:
		d.note(path, n.Line, "merge (<<) wants a mapping or a list of mappings, got %s", describe(n))
		return nil
	}
	var out []pair
	for _, m := range maps {
		if d.merged += len(m.Content) / 2; d.merged > maxMergedPairs {
			if !d.mergeLimitHit {
				d.mergeLimitHit = true
				d.note(path, m.Line, "merge keys (<<) expand to more than %d keys", maxMergedPairs)
			}
			return out
		}
		out = append(out, d.pairs(path, m, depth)...)
	}
	return out
}
