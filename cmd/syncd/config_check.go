package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/syncd/syncd/config"
)

func newConfigCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Work with the config file"}
	cmd.AddCommand(&cobra.Command{
		Use:   "example",
		Short: "Print an annotated config that documents every key (syncd config example > syncd.yaml)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := g.stdout.Write(config.Example)
			return err
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "check",
		Short: "Validate the config and print the effective one, secrets masked",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.loadConfig()
			if err != nil {
				return err
			}
			out, err := cfg.Masked().YAML()
			if err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "# %s is valid: %d jobs\n%s", g.configPath, len(cfg.Jobs), out)
			return nil
		},
	})
	return cmd
}
