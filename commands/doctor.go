package commands

import (
	"errors"

	"github.com/spf13/cobra"
)

func newDoctorCmd(g *Globals, ios *IO) *cobra.Command {
	return &cobra.Command{
		Use:    "doctor",
		Short:  "doctor (not implemented yet)",
		Hidden: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New("doctor: not implemented yet")
		},
	}
}
