package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/syncd/syncd/config"
	"github.com/syncd/syncd/internal/index"
	"github.com/syncd/syncd/internal/upstream/sim"
)

// demoConfig is the demo's config file: the same YAML a user writes, checked by the same
// loader. %s are the simulator URL, the state directory, the listen address, and the
// seller ids of the shop job.
const demoConfig = `
upstream:
  base_url: %s
  access_key: sim-access-key
  secret_key: sim-secret-key
  user_id: "2100007341207"
  qps: 40
  burst: 4
  concurrency: 8
state_dir: %s
http:
  listen: %s
jobs:
  - name: tees
    kind: keyword
    keywords: ["T恤", "polo衫"]
    page_size: 50
    max_pages: 8
    schedule: "@every 10m"
  - name: dresses
    kind: category
    category_ids: ["%s"]
    page_size: 50
    max_pages: 8
  - name: shops
    kind: shop
    seller_open_ids: [%s]
    page_size: 50
    max_pages: 4
  - name: bestsellers
    kind: hotlist
    rank_types: ["hot", "goodPrice"]
    page_size: 50
    max_pages: 4
    schedule: "@every 30m"
`

// demoCategory is the category the demo's category job mirrors.
const demoCategory = sim.DressesCategory

func newDemoCmd(g *globals) *cobra.Command {
	var (
		listen  string
		noServe bool
		dir     string
		offers  int
	)
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Zero-setup tour: a simulated upstream, a backfill, sample searches, then the web page",
		Long: `Zero-setup tour of syncd: starts the built-in PandaPon simulator on a loopback port,
mirrors four jobs (keyword, category, shop, hot list) into an embedded index in a temporary
directory with progress, runs sample searches, then serves the web search page until you
press Ctrl-C (or exits after the searches with --no-serve).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDemo(cmd.Context(), g, listen, dir, offers, noServe)
		},
	}
	f := cmd.Flags()
	f.StringVar(&listen, "listen", "127.0.0.1:8790", "address of the web page and API")
	f.BoolVar(&noServe, "no-serve", false, "exit after the sample searches instead of serving the web page")
	f.StringVar(&dir, "dir", "", "state directory to keep (default: a temporary one, removed at exit)")
	f.IntVar(&offers, "offers", 20000, "size of the simulated catalog")
	return cmd
}

func runDemo(ctx context.Context, g *globals, listen, dir string, offers int, noServe bool) error {
	logger, err := g.logger()
	if err != nil {
		return err
	}
	out := g.stdout
	if dir == "" {
		tmp, err := os.MkdirTemp("", "syncd-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}

	// The simulator: a real HTTP server on loopback, serving its own product images so
	// the page looks right offline.
	simLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	simURL := "http://" + simLn.Addr().String()
	s := sim.New(sim.Options{Offers: offers, Seed: 1, Latency: 20 * time.Millisecond, ImageBaseURL: simURL + "/img"})
	simSrv := &http.Server{Handler: s, ReadHeaderTimeout: 5 * time.Second}
	go simSrv.Serve(simLn)
	defer simSrv.Close()
	fmt.Fprintf(out, "1. simulated PandaPon API at %s (%d offers)\n", simURL, offers)

	sellers := s.Sellers()[:2]
	quoted := make([]string, len(sellers))
	for i, id := range sellers {
		quoted[i] = fmt.Sprintf("%q", id)
	}
	yml := fmt.Sprintf(demoConfig, simURL, dir, listen, demoCategory, strings.Join(quoted, ", "))
	cfg, err := config.Parse([]byte(yml), func(string) string { return "" })
	if err != nil {
		return fmt.Errorf("demo config: %w", err)
	}
	a, err := openApp(ctx, cfg, logger, need{index: true, upstream: true, metrics: !noServe})
	if err != nil {
		return err
	}
	defer a.Close()

	fmt.Fprintf(out, "2. backfilling %d jobs into an embedded index in %s\n", len(a.jobs), dir)
	if err := a.backfill(ctx, a.jobs, false, out, g.stderr); err != nil {
		return err
	}
	n, err := a.index.Count(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "   %d distinct offers mirrored; upstream requests: %d\n\n", n, s.Stats().Total())

	fmt.Fprintln(out, "3. sample searches")
	samples := []struct {
		cmd string
		q   index.Query
	}{
		{`syncd search t-shirt --limit 5`, index.Query{Text: "t-shirt", Limit: 5}},
		{`syncd search T恤 --filter 'price < 20' --sort monthSold:desc --limit 5`,
			index.Query{Text: "T恤", Filter: "price < 20", Sort: []index.SortField{{Field: "monthSold", Desc: true}}, Limit: 5}},
		{`syncd search --filter 'isJxhy = true AND repurchaseRate >= 0.4' --facets sources,categoryId --limit 3`,
			index.Query{Filter: "isJxhy = true AND repurchaseRate >= 0.4", Facets: []string{"sources", "categoryId"}, Limit: 3}},
	}
	for _, sm := range samples {
		if err := sm.q.Validate(); err != nil {
			return err
		}
		res, err := a.index.Search(ctx, sm.q)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "$ %s\n", sm.cmd)
		printSearch(out, index.NewResponse(sm.q, res))
		fmt.Fprintln(out)
	}
	if noServe {
		fmt.Fprintln(out, "done (--no-serve). Run `go run ./cmd/syncd demo` to browse the results in the web page.")
		return nil
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return usagef("--listen %s: %v (pick another with --listen 127.0.0.1:PORT)", listen, err)
	}
	return a.serve(ctx, ln, func(url string) {
		fmt.Fprintf(out, "4. web search page: %s  (API: %s/v1/search?q=t-shirt, metrics: %s/metrics)\n   press Ctrl-C to stop\n", url, url, url)
	})
}
