package commands

import (
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rtchat/rtchat/keys"
)

// keysRemoveOptions are the inputs of 'rtchat keys remove'.
type keysRemoveOptions struct {
	keysCommon
	Name string // the pinned name
}

func newKeysRemoveCmd(g *Globals, ios *IO) *cobra.Command {
	return &cobra.Command{
		Use:   "remove NAME",
		Short: "Unpin a peer",
		Long: `Remove the key pinned for NAME (as shown by 'rtchat keys list'), and its kind. rtchat
then treats NAME as unknown: refused under --trust known, pinned afresh on first contact
under --trust tofu. A NAME that is not pinned is an error that suggests the pinned names
it may have been meant to be.`,
		Example: `  rtchat keys remove bob
  rtchat keys remove 'User #417'`,
		Args: keysArgs(1, 1, "one NAME (see 'rtchat keys list')"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runKeysRemove(&keysRemoveOptions{keysCommon: keysCommonOf(g, ios), Name: args[0]})
		},
		ValidArgsFunction: completePeers(g),
	}
}

func runKeysRemove(o *keysRemoveOptions) error {
	store := o.store()
	peers, err := store.PinnedPeers()
	if err != nil {
		return err
	}
	p, ok := peers[o.Name]
	if !ok {
		names := make([]string, 0, len(peers))
		for n := range peers {
			names = append(names, n)
		}
		sort.Strings(names)
		hint := "see 'rtchat keys list'"
		if s := keysSuggest(o.Name, names); len(s) > 0 {
			hint = "did you mean " + strings.Join(s, " or ") + "?"
		}
		return fmt.Errorf("%w: %q; %s", keys.ErrNotPinned, o.Name, hint)
	}
	if err := store.Remove(o.Name); err != nil {
		return err
	}
	fp := keys.Fingerprint(p.Key)
	fmt.Fprintf(o.IO.Err, "removed %s (%s), %s\n", o.Name, fp, kindPhrase(p.Kind))
	if o.JSON {
		return writeJSON(o.IO.Out, peerJSON{Type: "removed", Name: o.Name, Fingerprint: fp, PublicKeyString: p.Key, Kind: string(p.Kind)})
	}
	return nil
}
