package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/syncd/syncd/config"
	"github.com/syncd/syncd/internal/checkpoint"
	"github.com/syncd/syncd/internal/index"
)

func newSearchCmd(g *globals) *cobra.Command {
	var (
		filter  string
		sorts   []string
		limit   int
		offset  int
		facets  []string
		asJSON  bool
		timeout = defaultDaemonTimeout
	)
	cmd := &cobra.Command{
		Use:   "search [flags] QUERY",
		Short: "Search the mirror (a table, or JSON with --json)",
		Example: `  syncd search t-shirt
  syncd search --filter 'price < 20 AND monthSold >= 1000' --sort monthSold:desc 'T恤'
  syncd search --facets categoryId,isJxhy --json cotton`,
		RunE: func(cmd *cobra.Command, args []string) error {
			q := index.Query{Text: strings.Join(args, " "), Filter: filter, Limit: limit, Offset: offset}
			for _, s := range sorts {
				sf, err := index.ParseSort(s)
				if err != nil {
					return err
				}
				q.Sort = append(q.Sort, sf)
			}
			for _, f := range facets {
				if f = strings.TrimSpace(f); f != "" {
					q.Facets = append(q.Facets, f)
				}
			}
			if err := q.Validate(); err != nil {
				return err
			}
			cfg, logger, err := g.setup()
			if err != nil {
				return err
			}
			resp, err := runSearch(cmd.Context(), g, cfg, logger, q, timeout)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(g.stdout, resp)
			}
			printSearch(g.stdout, resp)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&filter, "filter", "", "filter expression in Meilisearch syntax, e.g. 'price < 20 AND isJxhy = true'")
	f.StringArrayVar(&sorts, "sort", nil, "sort by FIELD:asc|desc (repeatable)")
	f.IntVar(&limit, "limit", index.DefaultLimit, fmt.Sprintf("results to return (1..%d)", index.MaxLimit))
	f.IntVar(&offset, "offset", 0, "results to skip")
	f.StringSliceVar(&facets, "facets", nil, "facet counts to return: "+strings.Join(index.FieldNames(func(f index.Field) bool { return f.Facet }), ","))
	f.BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// runSearch searches the index directly, or through the running daemon's API when the
// daemon holds the state directory.
func runSearch(ctx context.Context, _ *globals, cfg *config.Config, logger *slog.Logger, q index.Query, timeout time.Duration) (index.Response, error) {
	a, err := openApp(ctx, cfg, logger, need{index: true})
	if errors.Is(err, checkpoint.ErrLocked) {
		d := newDaemonClient(cfg, timeout)
		var resp index.Response
		if derr := d.get(ctx, "/v1/search?"+searchParams(q).Encode(), &resp); derr != nil {
			return resp, fmt.Errorf("%w; and the running daemon could not answer: %v", err, derr)
		}
		return resp, nil
	}
	if err != nil {
		return index.Response{}, err
	}
	defer a.Close()
	res, err := a.index.Search(ctx, q)
	if err != nil {
		return index.Response{}, fmt.Errorf("search: %w", err)
	}
	return index.NewResponse(q, res), nil
}

func searchParams(q index.Query) url.Values {
	v := url.Values{}
	v.Set("q", q.Text)
	if q.Filter != "" {
		v.Set("filter", q.Filter)
	}
	for _, s := range q.Sort {
		v.Add("sort", s.String())
	}
	if len(q.Facets) > 0 {
		v.Set("facets", strings.Join(q.Facets, ","))
	}
	v.Set("limit", strconv.Itoa(q.Limit))
	v.Set("offset", strconv.Itoa(q.Offset))
	return v
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// printSearch renders a response as a table. The Chinese title comes last: terminals draw
// CJK characters two cells wide, which would break the alignment of any column after it.
func printSearch(w io.Writer, r index.Response) {
	fmt.Fprintf(w, "%d results for %q (%.1f ms)", r.Total, r.Query, r.TookMs)
	if r.Total > len(r.Hits) {
		fmt.Fprintf(w, ", showing %d–%d", r.Offset+min(1, len(r.Hits)), r.Offset+len(r.Hits))
	}
	fmt.Fprintln(w)
	if len(r.Hits) > 0 {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "OFFER\tPRICE\tSOLD/MO\tREPURCHASE\tTITLE\tSUBJECT")
		for _, h := range r.Hits {
			fmt.Fprintf(tw, "%s\t¥%.2f\t%d\t%.0f%%\t%s\t%s\n", h.OfferID, h.Price, h.MonthSold,
				h.RepurchaseRate*100, truncate(h.SubjectTrans, 48), truncate(h.Subject, 24))
		}
		tw.Flush()
	}
	for _, field := range sortedKeys(r.Facets) {
		counts := r.Facets[field]
		parts := make([]string, 0, len(counts))
		for _, v := range sortedByCount(counts) {
			parts = append(parts, fmt.Sprintf("%s (%d)", v, counts[v]))
		}
		fmt.Fprintf(w, "%s: %s\n", field, strings.Join(parts, ", "))
	}
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
