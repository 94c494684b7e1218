package commands

import (
	"errors"

	"github.com/spf13/cobra"
)

func newBrokerCmd(g *Globals, ios *IO) *cobra.Command {
	return &cobra.Command{
		Use:   "broker",
		Short: "broker (not implemented yet)",
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New("broker: not implemented yet")
		},
	}
}
