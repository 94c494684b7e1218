package commands

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/rtchat/rtchat/keys"
)

// keysGenOptions are the inputs of 'rtchat keys gen'.
type keysGenOptions struct {
	keysCommon
	Name  string // --name / RTCHAT_NAME, as given
	Force bool   // replace an existing identity
}

func newKeysGenCmd(g *Globals, ios *IO) *cobra.Command {
	o := &keysGenOptions{}
	cmd := &cobra.Command{
		Use:   "gen --name NAME [--force]",
		Short: "Create my identity and print its identity string",
		Long: `Create my identity: a new RSA-PSS 2048-bit key pair (SHA-256), stored with my name in
the config dir (directory 0700, key file 0600) as the web client's JWK strings. The
identity string NAME|JWK is printed on stdout, for giving to peers.

The name comes from --name or RTCHAT_NAME and must be a bare name: no '(', ')' or '|', no
leading or trailing spaces. An existing identity is never overwritten without --force:
replacing it loses the old key, and peers who pinned it will refuse the new one until they
re-register me.

Names that web pages treat specially get a warning: a page never pins a name starting with
'anon' (it is anonymous there), and it gives 'User #N' names to users who chose none.`,
		Example: `  rtchat keys gen --name alice
  RTCHAT_NAME=alice rtchat keys gen > alice.id
  rtchat keys gen --name alice --force     # replace my key (peers must re-register me)`,
		Args: keysArgs(0, 0, "no arguments (the name comes from --name)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.keysCommon, o.Name = keysCommonOf(g, ios), g.Name
			return runKeysGen(o)
		},
	}
	cmd.Flags().BoolVar(&o.Force, "force", false, "replace an existing identity (its key is lost)")
	return cmd
}

func runKeysGen(o *keysGenOptions) error {
	const path = "rtchat keys gen"
	if o.Name == "" {
		return keysUsagef(path, "keys gen needs a name: use --name NAME or set RTCHAT_NAME\nexample: rtchat keys gen --name alice")
	}
	if err := keys.ValidateName(o.Name); err != nil {
		return keysUsagef(path, "--name: %v", err)
	}
	store := o.store()
	id, err := keys.Generate(o.Name)
	if err != nil {
		return err
	}
	if err := store.SaveIdentity(id, o.Force); err != nil {
		return err
	}
	errw := o.IO.Err
	fmt.Fprintf(errw, "created identity %s (fingerprint %s) in %s\n", id.Name, id.Fingerprint(), store.IdentityPath())
	switch {
	case keys.IsAnonymous(id.Name):
		fmt.Fprintf(errw, "warning: web pages treat names starting with 'anon' as anonymous: they never pin such a "+
			"name, so no web user can verify you as %s (rtchat peers still can); to be pinned by web users, "+
			"choose another name: rtchat keys gen --force --name NAME\n", id.Name)
	case keys.IsPlaceholder(id.Name):
		fmt.Fprintf(errw, "warning: web pages give 'User #N' names, at random and anew on each load, to users who "+
			"chose none, and never keep such a name: a web user who pins %s may next meet someone else under it; "+
			"choose a name of your own: rtchat keys gen --force --name NAME\n", id.Name)
	}
	return printIdentity(o.keysCommon, id)
}
