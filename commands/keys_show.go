package commands

import (
	"fmt"

	"github.com/spf13/cobra"
)

// keysShowOptions are the inputs of 'rtchat keys show'.
type keysShowOptions struct {
	keysCommon
	Name string // --name / RTCHAT_NAME as given: shown instead of the stored name
}

func newKeysShowCmd(g *Globals, ios *IO) *cobra.Command {
	return &cobra.Command{
		Use:   "show",
		Short: "Print my identity string NAME|JWK",
		Long: `Print my identity string, NAME|JWK, on one line: what peers pass to
'rtchat keys register' (or paste into the web client) to pin my key. NAME is --name /
RTCHAT_NAME if given, else the name stored by 'keys gen'. The fingerprint goes to stderr
so it can be compared aloud.`,
		Example: `  rtchat keys show
  rtchat keys show > alice.id
  rtchat keys show --json | jq -r .fingerprint`,
		Args: keysArgs(0, 0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runKeysShow(&keysShowOptions{keysCommon: keysCommonOf(g, ios), Name: g.Name})
		},
	}
}

func runKeysShow(o *keysShowOptions) error {
	name, err := keysName("rtchat keys show", o.Name)
	if err != nil {
		return err
	}
	id, err := o.store().LoadIdentity()
	if err != nil {
		return err
	}
	if name != "" {
		id.Name = name
	}
	fmt.Fprintf(o.IO.Err, "fingerprint %s\n", id.Fingerprint())
	return printIdentity(o.keysCommon, id)
}
