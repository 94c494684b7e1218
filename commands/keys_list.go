package commands

import (
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/rtchat/rtchat/keys"
)

// keysListOptions are the inputs of 'rtchat keys list'.
type keysListOptions struct{ keysCommon }

func newKeysListCmd(g *Globals, ios *IO) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List pinned peers with their key fingerprints and kinds",
		Long: `List the pinned peers, sorted by name: name, key fingerprint and kind ('rtchat' or
'web', a user of the RTChat web page) in aligned columns. With --json, one object per peer:
  {"type":"peer","name":"bob","fingerprint":"abcd-efgh-ijkl-mnop","publicKeyString":"{...}","kind":"rtchat"}`,
		Example: `  rtchat keys list
  rtchat keys list --json | jq -r 'select(.kind == "web") | .name'`,
		Args: keysArgs(0, 0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runKeysList(&keysListOptions{keysCommonOf(g, ios)})
		},
	}
}

func runKeysList(o *keysListOptions) error {
	peers, err := o.store().PinnedPeers()
	if err != nil {
		return err
	}
	names := make([]string, 0, len(peers))
	for n := range peers {
		names = append(names, n)
	}
	sort.Strings(names)
	if o.JSON {
		for _, n := range names {
			p := peers[n]
			if err := writeJSON(o.IO.Out, peerJSON{Type: "peer", Name: n, Fingerprint: keys.Fingerprint(p.Key), PublicKeyString: p.Key, Kind: string(p.Kind)}); err != nil {
				return err
			}
		}
		return nil
	}
	if len(names) == 0 {
		fmt.Fprintln(o.IO.Err, "no pinned peers; add one with 'rtchat keys register NAME|JWK'")
		return nil
	}
	tw := tabwriter.NewWriter(o.IO.Out, 0, 8, 2, ' ', 0)
	bySkeleton := map[string][]string{}
	for _, n := range names {
		// A name pinned by an older rtchat may hold anything: shown escaped.
		fmt.Fprintf(tw, "%s\t%s\t%s\n", safeLine(n), keys.Fingerprint(peers[n].Key), peers[n].Kind)
		sk := keys.Skeleton(n)
		bySkeleton[sk] = append(bySkeleton[sk], n)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, n := range names {
		if same := bySkeleton[keys.Skeleton(n)]; len(same) > 1 && same[0] == n {
			fmt.Fprintf(o.IO.Err, "note: these pinned names look alike: %s; check that each is who you think (rtchat keys remove NAME)\n", strings.Join(quoteAll(same), ", "))
		}
	}
	return nil
}
