package commands

import (
	"errors"

	"github.com/spf13/cobra"
)

func newSendCmd(g *Globals, ios *IO) *cobra.Command {
	return &cobra.Command{
		Use:   "send",
		Short: "send (not implemented yet)",
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New("send: not implemented yet")
		},
	}
}
