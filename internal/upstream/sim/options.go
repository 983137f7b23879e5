package sim

import (
	"log/slog"
	"strings"
	"time"

	"github.com/syncd/syncd/internal/upstream"
)

// MaxOffers is the largest catalog New builds; larger Options.Offers are reduced to it.
const MaxOffers = 20_000_000

// Options configures a Server. The zero value of every field means its documented default.
type Options struct {
	// Offers is the catalog size; default 20,000, at most MaxOffers. A million offers
	// build in a second or two and take about 70 MB.
	Offers int
	// Seed selects the catalog; default (0) means 1. The same Seed and Offers give the same
	// catalog and byte-identical answers to the same requests.
	Seed int64
	// AccessKey and SecretKey are the one accepted credential pair; defaults
	// "sim-access-key" and "sim-secret-key".
	AccessKey, SecretKey string
	// QPS is the account quota in requests per second, a token bucket with burst
	// max(1, QPS); requests over it get envelope code CodeOverQuota. 0 means unlimited.
	QPS float64
	// Latency is added to every API request, varied uniformly by ±LatencyJitter (a
	// fraction; 0 means 0.2, negative means none).
	Latency       time.Duration
	LatencyJitter float64
	// FaultRate is the probability, 0..1, that an API request gets a fault drawn from
	// Faults (default AllFaults()). FaultSeed seeds the PRNG of faults and jitter.
	FaultRate float64
	Faults    []Fault
	FaultSeed int64
	// StallDuration is how long FaultStall holds a request before answering 504; default
	// 30s. A request whose context ends first is dropped.
	StallDuration time.Duration
	// ImageBaseURL, when set, makes offer pictures ImageBaseURL + "/" + offerId + ".svg"
	// (point it at this server's /img route for an offline demo); otherwise pictures are
	// alicdn-style URLs.
	ImageBaseURL string
	// Paths overrides endpoint paths per kind, as the client's Options.Paths does.
	Paths map[upstream.Kind]string
	// Now is the clock of the timestamp window; default time.Now. The quota always runs on
	// the real clock.
	Now func() time.Time
	// Logger receives debug lines for rejections and faults; default: discard.
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.Offers <= 0 {
		o.Offers = 20_000
	}
	o.Offers = min(o.Offers, MaxOffers)
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.AccessKey == "" {
		o.AccessKey = "sim-access-key"
	}
	if o.SecretKey == "" {
		o.SecretKey = "sim-secret-key"
	}
	if o.QPS < 0 {
		o.QPS = 0
	}
	if o.LatencyJitter == 0 {
		o.LatencyJitter = 0.2
	} else if o.LatencyJitter < 0 {
		o.LatencyJitter = 0
	}
	o.LatencyJitter = min(o.LatencyJitter, 1)
	o.FaultRate = clamp01(o.FaultRate)
	if o.Faults == nil {
		o.Faults = AllFaults()
	}
	if o.StallDuration <= 0 {
		o.StallDuration = 30 * time.Second
	}
	o.ImageBaseURL = strings.TrimRight(o.ImageBaseURL, "/")
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

func clamp01(x float64) float64 {
	if !(x > 0) { // also NaN
		return 0
	}
	return min(x, 1)
}
