package commands

import (
	"errors"

	"github.com/spf13/cobra"
)

func newConfigCmd(g *Globals, ios *IO) *cobra.Command {
	return &cobra.Command{
		Use:    "config",
		Short:  "config (not implemented yet)",
		Hidden: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New("config: not implemented yet")
		},
	}
}
