package commands

import (
	"errors"

	"github.com/spf13/cobra"
)

func newConnectCmd(g *Globals, ios *IO) *cobra.Command {
	return &cobra.Command{
		Use:   "connect",
		Short: "connect (not implemented yet)",
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New("connect: not implemented yet")
		},
	}
}
