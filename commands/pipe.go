package commands

import (
	"errors"

	"github.com/spf13/cobra"
)

func newPipeCmd(g *Globals, ios *IO) *cobra.Command {
	return &cobra.Command{
		Use:   "pipe",
		Short: "pipe (not implemented yet)",
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New("pipe: not implemented yet")
		},
	}
}
