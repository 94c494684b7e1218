package commands

import (
	"errors"

	"github.com/spf13/cobra"
)

func newAskCmd(g *Globals, ios *IO) *cobra.Command {
	return &cobra.Command{
		Use:   "ask",
		Short: "ask (not implemented yet)",
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New("ask: not implemented yet")
		},
	}
}
