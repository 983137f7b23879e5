package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/syncd/syncd/internal/upstream"
)

// Config is the whole configuration file (DESIGN §5). The yaml tags are the contract: keys
// may be added, never renamed.
type Config struct {
	Upstream Upstream `yaml:"upstream"`
	// StateDir holds the bbolt store, the embedded index and the lock file.
	StateDir string `yaml:"state_dir"`
	Index    Index  `yaml:"index"`
	HTTP     HTTP   `yaml:"http"`
	Jobs     []Job  `yaml:"jobs"`
}

// Upstream is the PandaPon account and how hard syncd may use it. One rate limit and one
// in-flight cap cover every job.
type Upstream struct {
	// BaseURL is the http(s) root the endpoint paths are appended to. Required.
	BaseURL string `yaml:"base_url"`
	// AccessKey, SecretKey and UserID identify the account and sign requests. Required.
	// SecretKey must never be logged; print configs through Masked.
	AccessKey string `yaml:"access_key"`
	SecretKey string `yaml:"secret_key"`
	UserID    string `yaml:"user_id"`
	// Language is sent as the endpoint's country/language field.
	Language string `yaml:"language"`
	// QPS is the shared rate limit in requests per second, > 0 (there is no "unlimited").
	QPS float64 `yaml:"qps"`
	// Burst is the rate limiter's bucket size, >= 1.
	Burst int `yaml:"burst"`
	// Concurrency caps requests in flight, 1..128; 0 (the default) sizes it from QPS: enough
	// requests in flight to use the whole rate at up to 2 s of upstream latency (at least 4).
	Concurrency int `yaml:"concurrency"`
	// Timeout bounds one HTTP request, > 0.
	Timeout Duration `yaml:"timeout"`
	// MaxAttempts is the number of tries per request including the first, 1..20.
	MaxAttempts int `yaml:"max_attempts"`
	// RetryCodes are response codes retried like HTTP 429; an empty list retries none.
	RetryCodes []int `yaml:"retry_codes"`
	// Paths overrides the default path of some kinds (see upstream.Lookup); every value
	// starts with "/". Never nil after Parse.
	Paths map[upstream.Kind]string `yaml:"paths"`
}

// Index selects and configures the search index.
type Index struct {
	// Backend is BackendBleve or BackendMeilisearch.
	Backend     string      `yaml:"backend"`
	Meilisearch Meilisearch `yaml:"meilisearch"`
}

// The index backends.
const (
	BackendBleve       = "bleve"
	BackendMeilisearch = "meilisearch"
)

// Meilisearch is the Meilisearch server used when Index.Backend is BackendMeilisearch. It is
// validated only then.
type Meilisearch struct {
	URL string `yaml:"url"`
	// APIKey may be empty (a server without a master key). Never logged.
	APIKey string `yaml:"api_key"`
	// Index is the Meilisearch index uid, [A-Za-z0-9_-]+.
	Index string `yaml:"index"`
}

// HTTP configures the API server.
type HTTP struct {
	// Listen is a host:port; an empty host listens on every interface.
	Listen string `yaml:"listen"`
	// Token, when set, is required from clients as "Authorization: Bearer <token>". Never
	// logged.
	Token string `yaml:"token"`
}

// The defaults of DESIGN §5, applied to every key the file leaves out (or sets to null,
// or to a ${VAR} that expands to nothing).
const (
	DefaultLanguage         = "en"
	DefaultQPS              = 5.0
	DefaultBurst            = 1
	DefaultConcurrency      = 0 // automatic, from qps
	DefaultTimeout          = Duration(15 * time.Second)
	DefaultMaxAttempts      = 5
	DefaultStateDir         = "./data"
	DefaultBackend          = BackendBleve
	DefaultMeilisearchURL   = "http://127.0.0.1:7700"
	DefaultMeilisearchIndex = "offers"
	DefaultListen           = "127.0.0.1:8790"
	DefaultPageSize         = 20
	DefaultMaxPages         = 100
)

// DefaultRetryCodes returns the default upstream.retry_codes: 429, "over quota".
func DefaultRetryCodes() []int { return []int{429} }

// Default returns a configuration holding every default and nothing else: no credentials,
// no jobs. It does not validate; code that builds a config (the demo) starts from it.
func Default() *Config {
	return &Config{
		Upstream: Upstream{
			Language:    DefaultLanguage,
			QPS:         DefaultQPS,
			Burst:       DefaultBurst,
			Concurrency: DefaultConcurrency,
			Timeout:     DefaultTimeout,
			MaxAttempts: DefaultMaxAttempts,
			RetryCodes:  DefaultRetryCodes(),
			Paths:       map[upstream.Kind]string{},
		},
		StateDir: DefaultStateDir,
		Index: Index{
			Backend:     DefaultBackend,
			Meilisearch: Meilisearch{URL: DefaultMeilisearchURL, Index: DefaultMeilisearchIndex},
		},
		HTTP: HTTP{Listen: DefaultListen},
	}
}

// Load reads, expands, decodes and validates the configuration file at path, expanding
// ${VAR} from the process environment. Every error it returns satisfies IsConfigError; a
// missing file says so and points at the example.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("load config %s: %w", path, &Error{
			Msg: "file does not exist; start from the annotated example (\"syncd config example > " + path +
				"\", or pass --config FILE) and check it with \"syncd config check\"",
			Err: err,
		})
	}
	if err != nil {
		return nil, fmt.Errorf("load config %s: %w", path, &Error{Msg: err.Error(), Err: err})
	}
	cfg, err := Parse(data, os.Getenv)
	if err != nil {
		return nil, fmt.Errorf("load config %s: %w", path, err)
	}
	return cfg, nil
}

// Parse decodes and validates a configuration document. getenv supplies ${VAR} values
// (nil means os.Getenv); a variable that getenv maps to "" counts as unset.
//
// The returned Config has every default applied and passed validation. On failure Parse
// returns a nil Config and an Errors listing every problem found, each with its field path
// and line.
func Parse(data []byte, getenv func(string) string) (*Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	root, perr := parseYAML(data)
	if perr != nil {
		return nil, Errors{perr}
	}
	cfg := Default()
	d := newDecoder(getenv)
	if root != nil {
		d.document(root, cfg)
	}
	validate(cfg, d)
	if len(d.errs) > 0 {
		return nil, d.sortedErrors()
	}
	return cfg, nil
}

// Clone returns a deep copy of c: no slice or map is shared with c.
func (c *Config) Clone() *Config {
	out := *c
	out.Upstream.RetryCodes = slices.Clone(c.Upstream.RetryCodes)
	out.Upstream.Paths = maps.Clone(c.Upstream.Paths)
	if c.Jobs != nil {
		out.Jobs = make([]Job, len(c.Jobs))
		for i := range c.Jobs {
			out.Jobs[i] = c.Jobs[i].clone()
		}
	}
	return &out
}

// Mask is what Masked puts in place of a secret.
const Mask = "********"

// Masked returns a deep copy of c that is safe to print or log: the secret key, the
// Meilisearch API key and the HTTP token become Mask when set, and the access key keeps
// only its first and last four characters ("58c0…cf03"), or becomes Mask when shorter
// than 20 characters. Empty values stay empty, so a reader can tell "not set" apart.
func (c *Config) Masked() *Config {
	m := c.Clone()
	m.Upstream.AccessKey = maskPartial(m.Upstream.AccessKey)
	m.Upstream.SecretKey = maskAll(m.Upstream.SecretKey)
	m.Index.Meilisearch.APIKey = maskAll(m.Index.Meilisearch.APIKey)
	m.HTTP.Token = maskAll(m.HTTP.Token)
	m.Upstream.BaseURL = maskURLPassword(m.Upstream.BaseURL)
	m.Index.Meilisearch.URL = maskURLPassword(m.Index.Meilisearch.URL)
	return m
}

// maskURLPassword hides the password of a URL with user info (https://user:pass@host).
func maskURLPassword(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	if _, ok := u.User.Password(); !ok {
		return s
	}
	u.User = url.UserPassword(u.User.Username(), Mask)
	return strings.Replace(u.String(), url.QueryEscape(Mask), Mask, 1)
}

func maskAll(s string) string {
	if s == "" {
		return ""
	}
	return Mask
}

func maskPartial(s string) string {
	r := []rune(s)
	switch {
	case len(r) == 0:
		return ""
	case len(r) < 20:
		return Mask
	}
	return string(r[:4]) + "…" + string(r[len(r)-4:])
}

// YAML renders c as a configuration document, keys in schema order, two-space indent. It
// does not mask: print c.Masked().YAML() (as `syncd config check` does). Every "$" in a
// value is written as "$$", so the output parses back to the same Config.
func (c *Config) YAML() ([]byte, error) {
	var n yaml.Node
	if err := n.Encode(c); err != nil {
		return nil, fmt.Errorf("encode config: %w", err)
	}
	escapeValues(&n)
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&n); err != nil {
		return nil, fmt.Errorf("encode config: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode config: %w", err)
	}
	return buf.Bytes(), nil
}

// escapeValues doubles "$" in every string value (not key) below n, the inverse of the
// expansion Parse applies, and writes lists of scalars on one line ("retry_codes: [429]").
func escapeValues(n *yaml.Node) {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.ShortTag() == "!!str" {
			n.Value = escapeDollars(n.Value)
		}
	case yaml.MappingNode:
		for i := 1; i < len(n.Content); i += 2 {
			escapeValues(n.Content[i])
		}
	case yaml.SequenceNode, yaml.DocumentNode:
		flow := n.Kind == yaml.SequenceNode
		for _, c := range n.Content {
			escapeValues(c)
			flow = flow && c.Kind == yaml.ScalarNode
		}
		if flow {
			n.Style = yaml.FlowStyle
		}
	}
}
