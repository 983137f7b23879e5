package upstream

import (
	"fmt"
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	c := &Client{opts: Options{BackoffBase: 100 * time.Millisecond, BackoffMax: time.Second}}
	var ceilings []int64
	c.jitter = func(n int64) int64 { ceilings = append(ceilings, n-1); return n - 1 }
	for attempt := 1; attempt <= 6; attempt++ {
		c.backoff(attempt, -1)
	}
	want := "[100ms 200ms 400ms 800ms 1s 1s]"
	var got []time.Duration
	for _, n := range ceilings {
		got = append(got, time.Duration(n))
	}
	if fmt.Sprint(got) != want {
		t.Errorf("backoff ceilings = %v, want %v", got, want)
	}
	// Full jitter: the draw may be anything from 0 to the ceiling.
	c.jitter = func(int64) int64 { return 0 }
	if d := c.backoff(3, -1); d != 0 {
		t.Errorf("backoff with zero jitter = %v", d)
	}
	if d := c.backoff(100, -1); d != 0 {
		t.Errorf("backoff of attempt 100 = %v", d) // no overflow
	}
	// Retry-After wins over the exponential backoff but is capped by BackoffMax.
	if d := c.backoff(1, 700*time.Millisecond); d != 700*time.Millisecond {
		t.Errorf("backoff with Retry-After 700ms = %v", d)
	}
	if d := c.backoff(1, time.Hour); d != time.Second {
		t.Errorf("backoff with Retry-After 1h = %v, want the 1s cap", d)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2024, 5, 14, 6, 59, 37, 0, time.UTC)
	tests := map[string]time.Duration{
		"":                              -1,
		"3":                             3 * time.Second,
		" 0 ":                           0,
		"-1":                            -1,
		"soon":                          -1,
		"Tue, 14 May 2024 07:00:07 GMT": 30 * time.Second,
		"Tue, 14 May 2024 06:00:00 GMT": 0,
		"99999999999999":                24 * time.Hour,
	}
	for v, want := range tests {
		if got := parseRetryAfter(v, now); got != want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", v, got, want)
		}
	}
}
