package commands

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/rtchat/rtchat/keys"
)

func newKeysCmd(g *Globals, ios *IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Manage my identity and the pinned keys of my peers",
		Long: `Manage my identity (an RSA-PSS 2048 / SHA-256 key pair) and the public keys pinned for
my peers. Both live in the config dir (--config-dir) in the RTChat web client's format:
keys are the JWK strings the browser stores, and the pins are its knownHostsStrings object,
so identities and pins can move between rtchat and a browser (see 'keys export --web').

An identity string is NAME|JWK: my bare name, a '|', and my public key string. Give yours
to peers ('rtchat keys show'); pin theirs ('rtchat keys register'). Compare fingerprints
over a channel you trust before pinning.`,
		Example: `  rtchat keys gen --name alice
  rtchat keys show > alice.id
  rtchat keys register "$(cat bob.id)"
  rtchat keys register - < team.ids
  rtchat keys list
  rtchat keys remove bob`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageErrorf("unknown command %q for %q\nRun '%s --help' for usage.", args[0], cmd.CommandPath(), cmd.CommandPath())
			}
			return cmd.Help()
		},
	}
	cmd.AddCommand(
		newKeysGenCmd(g, ios),
		newKeysShowCmd(g, ios),
		newKeysRegisterCmd(g, ios),
		newKeysListCmd(g, ios),
		newKeysRemoveCmd(g, ios),
		newKeysExportCmd(g, ios),
		newKeysImportCmd(g, ios),
	)
	return cmd
}

type identityJSON struct {
	Type            string `json:"type"`
	Name            string `json:"name"`
	Fingerprint     string `json:"fingerprint"`
	PublicKeyString string `json:"publicKeyString"`
	Identity        string `json:"identity"`
}

type peerJSON struct {
	Type            string `json:"type"`
	Name            string `json:"name"`
	Fingerprint     string `json:"fingerprint"`
	PublicKeyString string `json:"publicKeyString"`
	Result          string `json:"result,omitempty"`
	Line            int    `json:"line,omitempty"`
}

func printIdentity(g *Globals, ios *IO, id *keys.Identity) error {
	if g.JSON {
		return writeJSON(ios.Out, identityJSON{"identity", id.Name, id.Fingerprint(), id.PublicJWK, id.IdentityString()})
	}
	_, err := fmt.Fprintln(ios.Out, id.IdentityString())
	return err
}

// nameFlag returns --name / RTCHAT_NAME as a checked bare name, or "" when not given.
func nameFlag(g *Globals) (string, error) {
	if g.Name == "" {
		return "", nil
	}
	name := keys.BareName(g.Name)
	if err := keys.ValidateName(name); err != nil {
		return "", usageErrorf("--name: %v", err)
	}
	return name, nil
}

func newKeysGenCmd(g *Globals, ios *IO) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "gen --name NAME [--force]",
		Short: "Create my identity and print its identity string",
		Long: `Create my identity: a new RSA-PSS 2048-bit key pair (SHA-256), stored with my name in
the config dir (directory 0700, key file 0600) as the web client's JWK strings. The
identity string NAME|JWK is printed on stdout, for giving to peers.

The name comes from --name or RTCHAT_NAME and must be a bare name: no '(', ')' or '|', no
leading or trailing spaces. An existing identity is never overwritten without --force:
replacing it loses the old key, and peers who pinned it will refuse the new one until they
re-register me.`,
		Example: `  rtchat keys gen --name alice
  RTCHAT_NAME=alice rtchat keys gen > alice.id
  rtchat keys gen --name alice --force     # replace my key (peers must re-register me)`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if g.Name == "" {
				return usageErrorf("keys gen needs a name: use --name NAME or set RTCHAT_NAME\nexample: rtchat keys gen --name alice")
			}
			if err := keys.ValidateName(g.Name); err != nil {
				return usageErrorf("--name: %v", err)
			}
			store := keys.Open(g.ConfigDir)
			id, err := keys.Generate(g.Name)
			if err != nil {
				return err
			}
			if err := store.SaveIdentity(id, force); err != nil {
				return err
			}
			fmt.Fprintf(ios.Err, "created identity %s (fingerprint %s) in %s\n", id.Name, id.Fingerprint(), store.IdentityPath())
			return printIdentity(g, ios, id)
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "replace an existing identity (its key is lost)")
	return cmd
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
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := keys.Open(g.ConfigDir).LoadIdentity()
			if err != nil {
				return err
			}
			name, err := nameFlag(g)
			if err != nil {
				return err
			}
			if name != "" {
				id.Name = name
			}
			fmt.Fprintf(ios.Err, "fingerprint %s\n", id.Fingerprint())
			return printIdentity(g, ios, id)
		},
	}
}

// pinner pins identities and reports each result on stderr (and NDJSON on stdout).
type pinner struct {
	g       *Globals
	ios     *IO
	store   *keys.Store
	replace bool
	failed  int
	total   int
}

// pin pins one identity and reports success; the caller reports a returned error.
func (p *pinner) pin(prefix string, line int, name, jwk string) error {
	p.total++
	old, had, _ := p.store.Lookup(name)
	res, err := p.store.Pin(name, jwk, p.replace)
	if err != nil {
		p.failed++
		return err
	}
	fp := keys.Fingerprint(jwk)
	switch res {
	case keys.PinAdded:
		fmt.Fprintf(p.ios.Err, "%spinned %s (%s)\n", prefix, name, fp)
	case keys.PinUnchanged:
		fmt.Fprintf(p.ios.Err, "%sunchanged %s (%s), already pinned\n", prefix, name, fp)
	case keys.PinReplaced:
		oldFP := "?"
		if had {
			oldFP = keys.Fingerprint(old)
		}
		fmt.Fprintf(p.ios.Err, "%sreplaced %s (%s, was %s)\n", prefix, name, fp, oldFP)
	}
	if strings.HasPrefix(name, "anon") {
		fmt.Fprintf(p.ios.Err, "%snote: the web client treats names starting with 'anon' as anonymous and ignores their pins\n", prefix)
	}
	if p.g.JSON {
		return writeJSON(p.ios.Out, peerJSON{Type: "pin", Name: name, Fingerprint: fp, PublicKeyString: jwk, Result: res.String(), Line: line})
	}
	return nil
}

// pinReport pins one of many identities, reporting a failure on stderr and going on.
func (p *pinner) pinReport(prefix string, line int, name, jwk string) {
	if err := p.pin(prefix, line, name, jwk); err != nil {
		fmt.Fprintf(p.ios.Err, "%serror: %v\n", prefix, err)
	}
}

func (p *pinner) fail(prefix string, err error) {
	p.total++
	p.failed++
	fmt.Fprintf(p.ios.Err, "%serror: %v\n", prefix, err)
}

func (p *pinner) result(what string) error {
	if p.failed > 0 {
		return fmt.Errorf("%d of %d %s failed", p.failed, p.total, what)
	}
	return nil
}

func newKeysRegisterCmd(g *Globals, ios *IO) *cobra.Command {
	var replace bool
	cmd := &cobra.Command{
		Use:   "register IDENTITY | register NAME JWK | register -",
		Short: "Pin a peer's public key",
		Long: `Pin a peer's public key under its bare name, so that rtchat talks to that name only
when it proves possession of this key. The key is given as an identity string NAME|JWK
(what 'rtchat keys show' prints), as NAME and JWK separately, or with '-' as identity
strings on stdin, one per line (blank lines and lines starting with '#' are skipped).

Each result is reported on stderr ("line 3: pinned bob (fingerprint)"); with '-' a bad line
does not stop the others, but the exit status is 1 if any line failed. A name already pinned
to a different key is refused unless --replace is given: a changed key may mean the peer
made a new identity, or that someone is impersonating them. Check the fingerprint with the
peer over a channel you trust.`,
		Example: `  rtchat keys register 'bob|{"alg":"PS256","e":"AQAB",...}'
  rtchat keys register bob "$(cat bob.jwk)"
  rtchat keys register - < team.ids
  ssh bob@host rtchat keys show | rtchat keys register -
  rtchat keys register --replace "$(cat bob-new.id)"`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 1 || len(args) > 2 {
				return usageErrorf("keys register takes IDENTITY (NAME|JWK), NAME JWK, or - (identities on stdin); got %d arguments\nRun '%s --help' for usage.", len(args), cmd.CommandPath())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			p := &pinner{g: g, ios: ios, store: keys.Open(g.ConfigDir), replace: replace}
			switch {
			case len(args) == 2:
				if err := keys.ValidateName(args[0]); err != nil {
					return err
				}
				jwk := strings.TrimSpace(args[1])
				if _, err := keys.ParsePublicJWK(jwk); err != nil {
					return fmt.Errorf("key of %q: %w", args[0], err)
				}
				return p.pin("", 0, args[0], jwk)
			case args[0] == "-":
				if err := registerLines(p, ios.In); err != nil {
					return err
				}
				if p.total == 0 {
					return errors.New("no identities on stdin (expected NAME|JWK lines)")
				}
				return p.result("identities")
			default:
				name, jwk, err := keys.ParseIdentity(args[0])
				if err != nil {
					return err
				}
				return p.pin("", 0, name, jwk)
			}
		},
	}
	cmd.Flags().BoolVar(&replace, "replace", false, "replace the key of a name that is already pinned to a different key")
	return cmd
}

func registerLines(p *pinner, r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		prefix := fmt.Sprintf("line %d: ", n)
		name, jwk, err := keys.ParseIdentity(line)
		if err != nil {
			p.fail(prefix, err)
			continue
		}
		p.pinReport(prefix, n, name, jwk)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading stdin after line %d: %w", n, err)
	}
	return nil
}

func newKeysListCmd(g *Globals, ios *IO) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List pinned peers with their key fingerprints",
		Long: `List the pinned peers, sorted by name: name and key fingerprint in aligned columns.
With --json, one object per peer:
  {"type":"peer","name":"bob","fingerprint":"abcd-efgh-ijkl-mnop","publicKeyString":"{...}"}`,
		Example: `  rtchat keys list
  rtchat keys list --json | jq -r .name`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			pins, err := keys.Open(g.ConfigDir).Pins()
			if err != nil {
				return err
			}
			names := keys.SortedNames(pins)
			if g.JSON {
				for _, n := range names {
					if err := writeJSON(ios.Out, peerJSON{Type: "peer", Name: n, Fingerprint: keys.Fingerprint(pins[n]), PublicKeyString: pins[n]}); err != nil {
						return err
					}
				}
				return nil
			}
			if len(names) == 0 {
				fmt.Fprintln(ios.Err, "no pinned peers; add one with 'rtchat keys register NAME|JWK'")
				return nil
			}
			tw := tabwriter.NewWriter(ios.Out, 0, 8, 2, ' ', 0)
			for _, n := range names {
				fmt.Fprintf(tw, "%s\t%s\n", n, keys.Fingerprint(pins[n]))
			}
			return tw.Flush()
		},
	}
}

func newKeysRemoveCmd(g *Globals, ios *IO) *cobra.Command {
	return &cobra.Command{
		Use:   "remove NAME",
		Short: "Unpin a peer",
		Long: `Remove the key pinned for NAME (as shown by 'rtchat keys list'). rtchat then treats NAME
as unknown: refused under --trust known, pinned afresh on first contact under --trust tofu.`,
		Example: `  rtchat keys remove bob
  rtchat keys remove 'User #417'`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			store := keys.Open(g.ConfigDir)
			old, _, err := store.Lookup(args[0])
			if err != nil {
				return err
			}
			if err := store.Remove(args[0]); err != nil {
				return err
			}
			fmt.Fprintf(ios.Err, "removed %s (%s)\n", args[0], keys.Fingerprint(old))
			if g.JSON {
				return writeJSON(ios.Out, peerJSON{Type: "removed", Name: args[0], Fingerprint: keys.Fingerprint(old), PublicKeyString: old})
			}
			return nil
		},
		ValidArgsFunction: completePeers(g),
	}
}

func newKeysExportCmd(g *Globals, ios *IO) *cobra.Command {
	var web bool
	cmd := &cobra.Command{
		Use:   "export [--web]",
		Short: "Print pinned peers, or everything in the web client's localStorage form",
		Long: `Without --web: print every pinned peer as an identity string NAME|JWK, one per line, the
format 'rtchat keys register -' reads.

With --web: print one JSON object holding the web client's localStorage items, all strings:
rtchat_name, publicKeyString, privateKeyString (my identity, if I have one) and
knownHostsStrings (the pins). In the web page's developer console, load it with
  Object.entries(OBJ).forEach(([k, v]) => localStorage.setItem(k, v))
and reload the page. This includes my PRIVATE key: anyone who gets it can pose as me.`,
		Example: `  rtchat keys export > peers.ids
  rtchat keys export --web > rtchat-localstorage.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			store := keys.Open(g.ConfigDir)
			if !web {
				pins, err := store.Pins()
				if err != nil {
					return err
				}
				for _, n := range keys.SortedNames(pins) {
					fmt.Fprintf(ios.Out, "%s|%s\n", n, pins[n])
				}
				return nil
			}
			w, err := store.ExportWeb()
			if err != nil {
				return err
			}
			data, err := json.Marshal(w)
			if err != nil {
				return err
			}
			if w.PrivateKeyString != "" {
				fmt.Fprintf(ios.Err, "warning: this contains the PRIVATE key of %s; keep it secret\n", w.Name)
			} else {
				fmt.Fprintln(ios.Err, "note: no identity yet, exporting pins only")
			}
			_, err = fmt.Fprintf(ios.Out, "%s\n", data)
			return err
		},
	}
	cmd.Flags().BoolVar(&web, "web", false, "print the web client's localStorage items as one JSON object, including my private key")
	return cmd
}

func newKeysImportCmd(g *Globals, ios *IO) *cobra.Command {
	var force, replace bool
	cmd := &cobra.Command{
		Use:   "import FILE|-",
		Short: "Import an identity and pins from the web client's localStorage",
		Long: `Import the web client's localStorage items from FILE (or stdin with '-'): a JSON object
with privateKeyString and publicKeyString (the identity, kept verbatim), rtchat_name (its
name; --name overrides) and knownHostsStrings (pins, as the localStorage string or as an
object). This is the format 'rtchat keys export --web' writes. In the web page's developer
console, copy it with
  copy(JSON.stringify(Object.fromEntries(["rtchat_name", "publicKeyString",
    "privateKeyString", "knownHostsStrings"].map(k => [k, localStorage.getItem(k)]))))

An existing different identity is replaced only with --force; a pin that differs from an
existing one only with --replace. Names starting with 'anon' are skipped, as the web
client does. Each result is reported on stderr; the exit status is 1 if anything failed.`,
		Example: `  rtchat keys import rtchat-localstorage.json
  pbpaste | rtchat keys import -
  rtchat keys import --force --replace backup.json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var data []byte
			var err error
			if args[0] == "-" {
				data, err = io.ReadAll(ios.In)
			} else {
				data, err = os.ReadFile(args[0])
			}
			if err != nil {
				return err
			}
			w, err := keys.ParseWebStorage(data)
			if err != nil {
				return err
			}
			store := keys.Open(g.ConfigDir)
			p := &pinner{g: g, ios: ios, store: store, replace: replace}
			if w.PrivateKeyString != "" {
				if err := importIdentity(g, ios, store, w, force); err != nil {
					p.fail("identity: ", err)
				}
			}
			for _, n := range keys.SortedNames(w.KnownHosts) {
				if strings.HasPrefix(n, "anon") {
					fmt.Fprintf(ios.Err, "pin %s: skipped, anonymous name\n", n)
					continue
				}
				p.pinReport("pin "+n+": ", 0, n, w.KnownHosts[n])
			}
			if p.total == 0 && w.PrivateKeyString == "" {
				return errors.New("nothing to import: no privateKeyString/publicKeyString and no knownHostsStrings")
			}
			return p.result("imports")
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "replace my existing identity with the imported one")
	cmd.Flags().BoolVar(&replace, "replace", false, "replace pins whose key differs from the imported one")
	return cmd
}

func importIdentity(g *Globals, ios *IO, store *keys.Store, w *keys.WebStorage, force bool) error {
	name, err := nameFlag(g)
	if err != nil {
		return err
	}
	if name == "" {
		name = w.Name
	}
	if name == "" {
		return usageErrorf("the data has no rtchat_name: give the identity a name with --name NAME")
	}
	id, err := keys.NewIdentity(name, w.PublicKeyString, w.PrivateKeyString)
	if err != nil {
		return err
	}
	if cur, err := store.LoadIdentity(); err == nil && cur.Name == id.Name && cur.PublicJWK == id.PublicJWK && cur.PrivateJWK == id.PrivateJWK {
		fmt.Fprintf(ios.Err, "identity: unchanged %s (%s)\n", id.Name, id.Fingerprint())
		return nil
	}
	if err := store.SaveIdentity(id, force); err != nil {
		return err
	}
	fmt.Fprintf(ios.Err, "identity: imported %s (%s) into %s\n", id.Name, id.Fingerprint(), store.IdentityPath())
	return nil
}
