package upstream

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Outcomes reported to Hooks.Request.
const (
	OutcomeOK       = "ok"
	OutcomeRetry    = "retry"
	OutcomeError    = "error"
	OutcomeCanceled = "canceled"
)

// call sends one request with retries: it passes the gate before every attempt, so retries
// spend quota too, and waits a capped, fully jittered exponential backoff (or what
// Retry-After asks, capped the same way) between attempts. decode is called with the body of
// every 2xx answer and decides, through the error it returns, whether the attempt succeeded.
// A done ctx ends the call at once with ctx.Err() itself; every other error is wrapped with
// what names the request ("keyword page 3").
func (c *Client) call(ctx context.Context, ep Endpoint, page int, body []byte, decode func([]byte) error) error {
	path := c.path(ep.Kind)
	for attempt := 1; ; attempt++ {
		start := time.Now()
		if err := c.gate.enter(ctx); err != nil {
			c.reportRequest(ep.Kind, OutcomeCanceled, time.Since(start))
			return err
		}
		start = time.Now()
		retryAfter, err := c.exchange(ctx, ep.Kind, path, body, decode)
		c.gate.leave()
		took := time.Since(start)
		if err == nil {
			c.latency.observe(took)
			c.reportRequest(ep.Kind, OutcomeOK, took)
			return nil
		}
		if ctx.Err() != nil {
			c.reportRequest(ep.Kind, OutcomeCanceled, took)
			return ctx.Err()
		}
		reason, transient := classify(err)
		if !transient {
			c.reportRequest(ep.Kind, OutcomeError, took)
			return fmt.Errorf("fetch %s: %w", label(ep.Kind, page), err)
		}
		if attempt >= c.opts.MaxAttempts {
			c.reportRequest(ep.Kind, OutcomeError, took)
			return fmt.Errorf("fetch %s: giving up after %d attempts: %w", label(ep.Kind, page), attempt, err)
		}
		c.reportRequest(ep.Kind, OutcomeRetry, took)
		if c.opts.Hooks.Retry != nil {
			c.opts.Hooks.Retry(ep.Kind, reason)
		}
		delay := c.backoff(attempt, retryAfter)
		level := slog.LevelDebug
		if attempt > 1 {
			level = slog.LevelWarn
		}
		c.log.Log(ctx, level, "upstream request failed, retrying",
			"kind", ep.Kind, "page", page, "attempt", attempt, "max_attempts", c.opts.MaxAttempts,
			"reason", reason, "delay", delay, "err", err)
		if err := sleep(ctx, delay); err != nil {
			return err
		}
	}
}

func label(k Kind, page int) string {
	if page > 0 {
		return fmt.Sprintf("%s page %d", k, page)
	}
	return string(k)
}

func (c *Client) reportRequest(k Kind, outcome string, d time.Duration) {
	if c.opts.Hooks.Request != nil {
		c.opts.Hooks.Request(k, outcome, d)
	}
}

// backoff returns the wait before attempt+1. retryAfter, when not negative, is what upstream
// asked for; otherwise the wait is drawn uniformly from [0, min(BackoffMax, BackoffBase *
// 2^(attempt-1))] ("full jitter"), which spreads concurrent callers apart.
func (c *Client) backoff(attempt int, retryAfter time.Duration) time.Duration {
	if retryAfter >= 0 {
		return min(retryAfter, c.opts.BackoffMax)
	}
	ceiling := c.opts.BackoffBase
	for i := 1; i < attempt && ceiling < c.opts.BackoffMax; i++ {
		ceiling *= 2
	}
	ceiling = min(ceiling, c.opts.BackoffMax)
	return time.Duration(c.jitter(int64(ceiling) + 1))
}

// parseRetryAfter reads a Retry-After header: delay-seconds or an HTTP date. It returns -1
// when the header is absent or unreadable; a date in the past means 0.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return -1
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return -1
		}
		if secs > int64(24*time.Hour/time.Second) {
			secs = int64(24 * time.Hour / time.Second) // avoids overflow; capped later anyway
		}
		return time.Duration(secs) * time.Second
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return -1
	}
	return max(t.Sub(now), 0)
}
