// Package headless starts Debian's Chromium for the web page's browser tests and the
// screenshot command, with the flags this machine's closed network needs.
package headless

import "github.com/chromedp/chromedp"

// Options returns the allocator options for a headless Chromium at execPath with the
// profile directory profile and a window of width × height. Background networking,
// component updates, sync and QUIC are off: with no route out, Chromium would otherwise
// spend its start-up on connections that are refused.
func Options(execPath, profile string, width, height int) []chromedp.ExecAllocatorOption {
	return []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(execPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(width, height),
	}
}
