package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"time"

	"github.com/syncd/syncd/config"
)

const defaultDaemonTimeout = 10 * time.Second

// daemonClient talks to a running `syncd run` over its HTTP API. Commands that read the
// mirror use it when the daemon holds the state directory's lock.
type daemonClient struct {
	base  string
	token string
	http  *http.Client
}

func newDaemonClient(cfg *config.Config, timeout time.Duration) *daemonClient {
	host, port, err := net.SplitHostPort(cfg.HTTP.Listen)
	if err != nil {
		host, port = "127.0.0.1", "8790"
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return &daemonClient{
		base:  "http://" + net.JoinHostPort(host, port),
		token: cfg.HTTP.Token,
		http:  &http.Client{Timeout: timeout},
	}
}

func (d *daemonClient) get(ctx context.Context, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.base+path, nil)
	if err != nil {
		return err
	}
	if d.token != "" {
		req.Header.Set("Authorization", "Bearer "+d.token)
	}
	resp, err := d.http.Do(req)
	if err != nil {
		return fmt.Errorf("ask daemon at %s: %w", d.base, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("read daemon answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(body, &e) == nil && e.Error != "" {
			if resp.StatusCode == http.StatusBadRequest {
				return usagef("%s", e.Error)
			}
			return fmt.Errorf("daemon at %s: %s", d.base, e.Error)
		}
		return fmt.Errorf("daemon at %s answered %s", d.base, resp.Status)
	}
	return json.Unmarshal(body, out)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// sortedByCount returns the values of a facet, most frequent first.
func sortedByCount(counts map[string]int) []string {
	keys := sortedKeys(counts)
	sort.SliceStable(keys, func(i, j int) bool { return counts[keys[i]] > counts[keys[j]] })
	return keys
}
