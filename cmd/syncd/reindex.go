package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/syncd/syncd/internal/checkpoint"
	"github.com/syncd/syncd/internal/index"
)

func newReindexCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "reindex",
		Short: "Rebuild the search index from the mirror (no upstream calls), swapping it in atomically",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, logger, err := g.setup()
			if err != nil {
				return err
			}
			a, err := openApp(cmd.Context(), cfg, logger, need{index: true})
			if err != nil {
				return err
			}
			defer a.Close()
			start := time.Now()
			n, err := a.reindex(cmd.Context())
			if err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "reindexed %d offers into %s in %s\n", n, a.backend, time.Since(start).Round(time.Millisecond))
			return nil
		},
	}
}

// reindex rebuilds the index from every mirror row and returns how many it wrote.
func (a *app) reindex(ctx context.Context) (int, error) {
	n := 0
	src := func(ctx context.Context, emit func(index.Offer) error) error {
		return a.store.ForEachOffer(ctx, func(r checkpoint.Row) error {
			n++
			return emit(r.Doc)
		})
	}
	if err := a.index.Rebuild(ctx, src); err != nil {
		return 0, fmt.Errorf("rebuild index: %w", err)
	}
	return n, nil
}
