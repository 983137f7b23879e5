// Command screenshot saves a full-page PNG of a web page as headless Chromium renders it,
// for reviewing syncd's search page without a desktop browser.
//
// Usage:
//
//	go run ./cmd/syncd demo &    # serves the demo catalog on 127.0.0.1:8790
//	go run ./cmd/screenshot -url 'http://127.0.0.1:8790/?q=t-shirt' -out shot.png [-width 1280 -height 900]
//
// It waits until the page shows results (or an error) and its pictures have loaded, then
// captures the whole page, not just the first screen. Flags:
//
//	-url URL         page to capture (default http://127.0.0.1:8790/)
//	-out FILE        PNG to write (default shot.png)
//	-width, -height  viewport in CSS pixels (default 1280×900); the capture extends below it
//	-wait SELECTOR   CSS selector that must match before the capture (default: the search
//	                 page's results, ready or failed); empty means only the page load
//	-dark            render with prefers-color-scheme: dark
//	-full=false      capture only the viewport, not the whole page
//	-timeout D       give up after D (default 30s)
//	-chromium PATH   browser binary (default: chromium, chromium-browser or google-chrome on PATH)
//
// It needs Chromium (Debian: apt-get install chromium).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/syncd/syncd/internal/headless"
)

const defaultWait = `#results[data-state="ready"], #results[data-state="error"]`

// picturesLoaded is true once every <img> on the page finished loading or failed, so the
// capture does not show half-drawn cards. Lazy pictures below the first screen count too:
// the capture covers the whole page.
const picturesLoaded = `[...document.images].every((i) => i.complete)`

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "screenshot:", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		pageURL  = flag.String("url", "http://127.0.0.1:8790/", "page to capture")
		out      = flag.String("out", "shot.png", "PNG file to write")
		width    = flag.Int("width", 1280, "viewport width in CSS pixels")
		height   = flag.Int("height", 900, "viewport height in CSS pixels")
		wait     = flag.String("wait", defaultWait, "CSS selector to wait for before the capture; empty: the page load only")
		dark     = flag.Bool("dark", false, "render with prefers-color-scheme: dark")
		full     = flag.Bool("full", true, "capture the whole page; false: only the viewport")
		timeout  = flag.Duration("timeout", 30*time.Second, "give up after this long")
		chromium = flag.String("chromium", "", "browser binary (default: chromium, chromium-browser or google-chrome on PATH)")
	)
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: screenshot -url URL -out FILE.png [-width 1280 -height 900] [flags]\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() > 0 || *width <= 0 || *height <= 0 {
		flag.Usage()
		os.Exit(2)
	}
	browser, err := findBrowser(*chromium)
	if err != nil {
		return err
	}

	profile, err := os.MkdirTemp("", "syncd-screenshot-")
	if err != nil {
		return err
	}
	defer removeProfile(profile)

	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		headless.Options(browser, profile, *width, *height)...)
	defer cancelAlloc()
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	defer cancelTab()
	// Start the browser without a deadline: a deadline on the first Run would stop it.
	if err := chromedp.Do(ctx); err != nil {
		return fmt.Errorf("start %s: %w", browser, err)
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()

	steps := []chromedp.Action[chromedp.Void]{
		chromedp.EmulateViewport(int64(*width), int64(*height)),
	}
	if *dark {
		steps = append(steps, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
				Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}},
			})
			return err
		}))
	}
	steps = append(steps, chromedp.Navigate(*pageURL))
	if *wait != "" {
		steps = append(steps, chromedp.WaitVisible(chromedp.CSS(*wait)))
	}
	if err := chromedp.Do(ctx, steps...); err != nil {
		return fmt.Errorf("load %s: %w", *pageURL, err)
	}
	// Lazy pictures load when they come near the viewport: scroll through the page so that
	// all of them start, then wait for them.
	scroll := `(async () => {
		for (let y = 0; y < document.documentElement.scrollHeight; y += innerHeight) {
			scrollTo(0, y);
			await new Promise((r) => requestAnimationFrame(r));
		}
		scrollTo(0, 0);
		return true;
	})()`
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](scroll, chromedp.EvalAwaitPromise)); err != nil {
		return fmt.Errorf("scroll: %w", err)
	}
	for {
		done, err := chromedp.Run(ctx, chromedp.Evaluate[bool](picturesLoaded))
		if err != nil {
			return fmt.Errorf("wait for pictures: %w", err)
		}
		if done {
			break
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for pictures: %w", ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
	capture := chromedp.FullScreenshot(100)
	if !*full {
		capture = chromedp.CaptureScreenshot()
	}
	shot, err := chromedp.Run(ctx, capture)
	if err != nil {
		return fmt.Errorf("capture: %w", err)
	}
	if err := os.WriteFile(*out, shot, 0o644); err != nil {
		return err
	}
	fmt.Printf("wrote %s (%d KB)\n", *out, (len(shot)+1023)/1024)
	return nil
}

func findBrowser(path string) (string, error) {
	if path != "" {
		return exec.LookPath(path)
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no chromium on PATH (Debian: apt-get install chromium), or pass -chromium PATH")
}

// removeProfile deletes the browser profile, retrying while Chromium's helper processes
// finish writing to it after the browser exits.
func removeProfile(dir string) {
	for range 50 {
		if os.RemoveAll(dir) == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}
