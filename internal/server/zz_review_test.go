package server_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/syncd/syncd/internal/checkpoint"
	"github.com/syncd/syncd/internal/crawl"
	"github.com/syncd/syncd/internal/server"
)

type reviewJobs struct{}

func (reviewJobs) Status(context.Context) (crawl.Status, error) {
	now := time.Now()
	next := now.Add(25 * time.Minute)
	return crawl.Status{Jobs: []crawl.JobStatus{
		{Name: "tees", Kind: "keyword", Schedule: "@every 1h", State: "running", NextRunAt: &next,
			Cursor:  &crawl.CursorStatus{RunID: "x", Query: 0, Queries: 2, Page: 5, Stats: checkpoint.Stats{Offers: 200, New: 14, Changed: 3}},
			LastRun: &checkpoint.Run{Status: "succeeded", StartedAt: now.Add(-2 * time.Hour), FinishedAt: now.Add(-time.Hour), Stats: checkpoint.Stats{Offers: 800, New: 20, Changed: 7}}},
		{Name: "dresses", Kind: "category", State: "failed",
			LastRun: &checkpoint.Run{Status: "failed", StartedAt: now.Add(-3 * time.Hour), FinishedAt: now.Add(-3 * time.Hour), Error: "fetch page 3 of dresses: upstream code 401: signature mismatch; check upstream.access_key and upstream.secret_key"}},
		{Name: "shops", Kind: "shop", State: "interrupted", Cursor: &crawl.CursorStatus{Query: 1, Queries: 2, Page: 2},
			LastRun: &checkpoint.Run{Status: "interrupted", StartedAt: now.Add(-26 * time.Hour)}},
		{Name: "hot", Kind: "hotlist", State: "idle"},
	}, Index: crawl.IndexStatus{Backend: "bleve", Documents: 60}}, nil
}
func (reviewJobs) Trigger(string) error { return errors.New("x") }

func TestZZReview(t *testing.T) {
	ctx := newBrowser(t)
	ix := loadFixture(t)
	ts := httptest.NewServer(server.New(server.Options{Index: ix, Jobs: reviewJobs{}}))
	defer ts.Close()
	shot := func(name, u string, w, h int64) {
		var png []byte
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(w, h), chromedp.Navigate(u), chromedp.WaitVisible(chromedp.CSS(`#results[data-state="ready"], #results[data-state="error"]`)),
			chromedp.Sleep(700*time.Millisecond), chromedp.Func(func(ctx context.Context, tt *chromedp.Target) error {
				var err error
				png, err = chromedp.CaptureScreenshot()(ctx, tt)
				return err
			})); err != nil {
			t.Fatal(err)
		}
		os.WriteFile("/tmp/"+name+".png", png, 0o644)
	}
	shot("review-jobs", ts.URL+"/?q=dress", 1280, 1300)
	ts2 := httptest.NewServer(server.New(server.Options{Index: ix, Jobs: reviewJobs{}, Token: "x"}))
	defer ts2.Close()
	shot("review-token", ts2.URL+"/?q=dress", 1280, 600)
}
