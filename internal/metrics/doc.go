// Package metrics defines syncd's Prometheus metrics (prefix syncd_) in a registry of their
// own, and adapts them to the hook points of the upstream client (upstream.Hooks) and the
// crawl runner and scheduler (crawl.Hooks), so neither of those imports Prometheus.
package metrics
