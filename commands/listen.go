package commands

import (
	"errors"

	"github.com/spf13/cobra"
)

func newListenCmd(g *Globals, ios *IO) *cobra.Command {
	return &cobra.Command{
		Use:   "listen",
		Short: "listen (not implemented yet)",
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New("listen: not implemented yet")
		},
	}
}
