package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newConfigCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Work with the config file"}
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
