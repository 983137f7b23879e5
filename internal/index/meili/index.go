package meili

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"time"

	"github.com/meilisearch/meilisearch-go"

	"github.com/syncd/syncd/internal/index"
)

// Defaults of Options.
const (
	DefaultIndex           = "offers"
	DefaultTaskTimeout     = 2 * time.Minute
	DefaultSettingsTimeout = 10 * time.Minute
	DefaultPollInterval    = 50 * time.Millisecond
	DefaultBatchSize       = 10_000
	defaultHTTPTimeout     = time.Minute
)

// PrimaryKey is the primary key of syncd's Meilisearch index (DESIGN §3 rule 2).
const PrimaryKey = "offerId"

// MinVersion is the oldest Meilisearch release whose settings syncd needs: granular
// filterableAttributes (1.14) and typoTolerance.disableOnNumbers (1.15).
const MinVersion = "1.15.0"

// Options configure Open. Zero values mean the documented defaults.
type Options struct {
	// URL of the Meilisearch server, e.g. http://127.0.0.1:7700 (required). A path prefix
	// is kept, for a server behind a reverse proxy.
	URL string
	// APIKey is sent as a Bearer token; empty for a server without a master key. It needs
	// the actions listed in README.md. It never appears in errors or logs.
	APIKey string
	// Index is the index uid (default "offers"): letters, digits, '-' and '_'.
	Index string
	// TaskTimeout bounds each wait for a document, swap or deletion task (default 2m). A task
	// still running after it is an error wrapping ErrTaskTimeout.
	TaskTimeout time.Duration
	// SettingsTimeout bounds each wait for a settings task (default 10m): changing settings
	// of a populated index re-indexes every document.
	SettingsTimeout time.Duration
	// PollInterval is the first delay between polls of a task (default 50ms); it doubles up
	// to 1s while the task runs.
	PollInterval time.Duration
	// BatchSize is the most documents sent in one request (default 10000). Batches are also
	// cut at 32 MiB of JSON, well below Meilisearch's default 100 MB payload limit.
	BatchSize int
	// HTTPClient sends every request (default: a client with a 1 minute timeout). Open uses
	// a copy of it whose transport wraps HTTPClient.Transport, to compress document batches
	// and bound the size of answers; HTTPClient itself is not modified.
	HTTPClient *http.Client
	// Logger receives settings changes, rebuild progress and retried polls (default: none).
	Logger *slog.Logger
}

// Index is the Meilisearch backend of index.Index, opened with Open. Its methods are safe
// for concurrent use (searches run while Rebuild fills its temporary index); Close comes
// after every other call returned.
type Index struct {
	cl     *client
	uid    string
	opts   Options
	log    *slog.Logger
	ownsHC bool
}

var _ index.Index = (*Index)(nil)

// uidPattern is what Meilisearch accepts as an index uid (at most 400 bytes); syncd keeps
// room for the "_rebuild_<unix>" suffix of Rebuild's temporary index.
var uidPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,350}$`)

// Open connects to the Meilisearch server at opts.URL and makes the index ready: it checks
// that the server answers (GET /health) and is recent enough (GET /version), creates the
// index with primary key offerId if it does not exist, and applies syncd's settings when
// they differ from the index's, waiting for each task. Nothing is written when the index is
// already set up. Errors name the server URL; an index whose primary key is not offerId is
// an error, never silently changed.
func Open(ctx context.Context, opts Options) (*Index, error) {
	if opts.URL == "" {
		return nil, errors.New("open meilisearch index: no url")
	}
	if opts.Index == "" {
		opts.Index = DefaultIndex
	}
	if !uidPattern.MatchString(opts.Index) {
		return nil, fmt.Errorf("open meilisearch index: index uid %q: want 1 to 350 letters, digits, '-' or '_'", opts.Index)
	}
	if opts.TaskTimeout <= 0 {
		opts.TaskTimeout = DefaultTaskTimeout
	}
	if opts.SettingsTimeout <= 0 {
		opts.SettingsTimeout = DefaultSettingsTimeout
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = DefaultPollInterval
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = DefaultBatchSize
	}
	ix := &Index{uid: opts.Index, opts: opts, log: opts.Logger}
	if ix.log == nil {
		ix.log = slog.New(slog.DiscardHandler)
	}
	hc := opts.HTTPClient
	if hc == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone() // so that Close closes only ours
		hc, ix.ownsHC = &http.Client{Timeout: defaultHTTPTimeout, Transport: tr}, true
	}
	cl, err := newClient(opts.URL, opts.APIKey, hc)
	if err != nil {
		return nil, fmt.Errorf("open meilisearch index: %w", err)
	}
	ix.cl = cl
	ix.log = ix.log.With("meilisearch", cl.where, "index", ix.uid)
	if err := ix.open(ctx); err != nil {
		ix.Close()
		return nil, fmt.Errorf("open meilisearch index %q: %w", ix.uid, err)
	}
	return ix, nil
}

func (ix *Index) open(ctx context.Context) error {
	health, err := ix.cl.sm.Health(ctx)
	if err = ix.cl.check(ctx, err); err != nil {
		return err
	}
	if health.Status != "available" {
		return fmt.Errorf("meilisearch at %s reports status %q, not available", ix.cl.where, health.Status)
	}
	if err := ix.checkVersion(ctx); err != nil {
		return err
	}
	if err := ix.ensureIndex(ctx, ix.uid); err != nil {
		return err
	}
	return ix.applySettings(ctx, ix.uid)
}

// checkVersion fails early, and clearly, on a server too old for syncd's settings (which it
// would otherwise reject with "unknown field" errors).
func (ix *Index) checkVersion(ctx context.Context) error {
	v, err := ix.cl.sm.Version(ctx)
	if err = ix.cl.check(ctx, err); err != nil {
		return err
	}
	var major, minor int
	if _, err := fmt.Sscanf(v.PkgVersion, "%d.%d", &major, &minor); err != nil {
		ix.log.Warn("cannot parse meilisearch version; assuming it is recent enough", "version", v.PkgVersion)
		return nil
	}
	if major < 1 || (major == 1 && minor < 15) {
		return fmt.Errorf("meilisearch at %s is version %s; syncd needs %s or later", ix.cl.where, v.PkgVersion, MinVersion)
	}
	return nil
}

// ensureIndex creates index uid with primary key offerId unless it exists, and checks the
// primary key of an existing one.
func (ix *Index) ensureIndex(ctx context.Context, uid string) error {
	info, err := ix.cl.sm.GetIndex(ctx, uid)
	err = ix.cl.check(ctx, err)
	switch {
	case err == nil:
		// An index created elsewhere without a primary key (null, read as "") gets it from
		// the first document batch, which always names it.
		if info.PrimaryKey != "" && info.PrimaryKey != PrimaryKey {
			return fmt.Errorf("index %q has primary key %q, syncd needs %q: delete the index or use another index uid",
				uid, info.PrimaryKey, PrimaryKey)
		}
		return nil
	case !hasCode(err, "index_not_found"):
		return fmt.Errorf("read index %q: %w", uid, err)
	}
	return ix.createIndex(ctx, uid, true)
}

// createIndex creates index uid and waits; an index that appeared meanwhile is fine when
// existsOK.
func (ix *Index) createIndex(ctx context.Context, uid string, existsOK bool) error {
	ix.log.Info("creating meilisearch index", "uid", uid)
	sum, err := ix.cl.sm.CreateIndex(ctx, &meilisearch.IndexConfig{Uid: uid, PrimaryKey: PrimaryKey})
	ti, err := ix.enqueued(ctx, sum, err)
	if err == nil {
		err = ix.wait(ctx, ti, ix.opts.TaskTimeout)
	}
	var te *TaskError
	if existsOK && errors.As(err, &te) && te.Code == "index_already_exists" {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create index %q: %w", uid, err)
	}
	return nil
}

// Get returns the offer with the id, or index.ErrNotFound.
func (ix *Index) Get(ctx context.Context, offerID string) (index.Offer, error) {
	if !validID(offerID) {
		return index.Offer{}, index.ErrNotFound // Meilisearch cannot hold such an id (nor does it need escaping)
	}
	var o index.Offer
	err := ix.cl.check(ctx, ix.cl.sm.Index(ix.uid).GetDocument(ctx, offerID, nil, &o))
	if hasCode(err, "document_not_found") {
		return index.Offer{}, index.ErrNotFound
	}
	if err != nil {
		return index.Offer{}, fmt.Errorf("get offer %s from %q: %w", offerID, ix.uid, err)
	}
	return normalize(o), nil
}

// Count returns the number of documents in the index, as of the last succeeded task.
func (ix *Index) Count(ctx context.Context) (uint64, error) {
	stats, err := ix.cl.sm.Index(ix.uid).GetStats(ctx, nil)
	if err = ix.cl.check(ctx, err); err != nil {
		return 0, fmt.Errorf("count documents of %q: %w", ix.uid, err)
	}
	return uint64(max(stats.NumberOfDocuments, 0)), nil
}

// Close releases idle connections of the HTTP client Open created. The server and its
// index are untouched. It returns nil.
func (ix *Index) Close() error {
	if ix.ownsHC {
		ix.cl.closeIdle()
	}
	return nil
}
