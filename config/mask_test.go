package config

import (
	"fmt"
	"strings"
	"testing"
)

func TestMasked(t *testing.T) {
	const (
		access = "58c0d5b1e2f34a6b8c9d0e1f2a3bcf03"
		secret = "SECRET-9f8e7d6c5b4a3928"
		apiKey = "MEILIKEY-1234567890"
		token  = "TOKEN-abcdefghijkl"
	)
	cfg := mustParse(t, jobsDoc("  - name: j\n    kind: keyword\n    keywords: [a]\n"), nil)
	cfg.Upstream.AccessKey = access
	cfg.Upstream.SecretKey = secret
	cfg.Index.Meilisearch.APIKey = apiKey
	cfg.HTTP.Token = token
	orig := cfg.Clone()

	m := cfg.Masked()
	if m.Upstream.AccessKey != "58c0…cf03" {
		t.Errorf("access_key = %q, want 58c0…cf03", m.Upstream.AccessKey)
	}
	for name, got := range map[string]string{"secret_key": m.Upstream.SecretKey, "api_key": m.Index.Meilisearch.APIKey, "token": m.HTTP.Token} {
		if got != Mask {
			t.Errorf("%s = %q, want %q", name, got, Mask)
		}
	}
	out, err := m.YAML()
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{string(out), fmt.Sprintf("%+v", m), fmt.Sprintf("%#v", m)} {
		for _, s := range []string{secret, apiKey, token, access} {
			if strings.Contains(text, s) {
				t.Errorf("masked output leaks %q:\n%s", s, text)
			}
		}
	}
	if !strings.Contains(string(out), "access_key: 58c0…cf03") {
		t.Errorf("masked YAML does not show the partial access key:\n%s", out)
	}

	// Masked leaves the original alone and shares nothing with it.
	if cfg.Upstream.SecretKey != secret || cfg.HTTP.Token != token {
		t.Error("Masked modified the original")
	}
	m.Jobs[0].Keywords[0] = "changed"
	m.Upstream.RetryCodes[0] = 1
	m.Upstream.Paths["keyword"] = "/changed"
	if cfg.Jobs[0].Keywords[0] != orig.Jobs[0].Keywords[0] || cfg.Upstream.RetryCodes[0] != 429 || len(cfg.Upstream.Paths) != 0 {
		t.Error("Masked copy shares slices or maps with the original")
	}
}

func TestMasked_ShortAndEmpty(t *testing.T) {
	c := Default()
	c.Upstream.AccessKey = "short-key-1234"
	if got := c.Masked().Upstream.AccessKey; got != Mask {
		t.Errorf("short access key masked as %q, want %q (first and last four would reveal most of it)", got, Mask)
	}
	c.Upstream.AccessKey = ""
	m := c.Masked()
	if m.Upstream.AccessKey != "" || m.Upstream.SecretKey != "" || m.Index.Meilisearch.APIKey != "" || m.HTTP.Token != "" {
		t.Errorf("empty secrets should stay empty so that 'not set' shows: %+v", m)
	}
}

func TestMasked_URLPasswords(t *testing.T) {
	c := Default()
	c.Upstream.BaseURL = "https://bob:hunter2@api.example.com/x"
	c.Index.Meilisearch.URL = "http://admin:p%40ss@127.0.0.1:7700"
	m := c.Masked()
	for _, u := range []string{m.Upstream.BaseURL, m.Index.Meilisearch.URL} {
		if strings.Contains(u, "hunter2") || strings.Contains(u, "p%40ss") || strings.Contains(u, "p@ss") {
			t.Errorf("password not masked: %s", u)
		}
		if !strings.Contains(u, Mask) {
			t.Errorf("no mask in %s", u)
		}
	}
	if m.Upstream.BaseURL != "https://bob:"+Mask+"@api.example.com/x" {
		t.Errorf("masked base_url %q", m.Upstream.BaseURL)
	}
	if c.Upstream.BaseURL != "https://bob:hunter2@api.example.com/x" {
		t.Errorf("Masked changed the original: %s", c.Upstream.BaseURL)
	}
}
