package commands

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/rtchat/rtchat/keys"
)

// The keys commands live in keys_*.go, one file per subcommand: each has an options struct
// and a runKeysX(opts) function that tests call in-process; the Cobra command only fills the
// options from flags, arguments and the global flags.

func newKeysCmd(g *Globals, ios *IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Manage my identity and the pinned keys of my peers",
		Long: `Manage my identity (an RSA-PSS 2048 / SHA-256 key pair) and the public keys pinned for
my peers. Both live in the config dir (--config-dir) in the RTChat web client's format:
keys are the JWK strings the browser stores, and the pins are its knownHostsStrings object,
so identities and pins can move between rtchat and a browser (see 'keys export --web').

To pin another rtchat user, pair with a one-time code: 'rtchat keys invite' on one
machine, 'rtchat keys accept CODE' on the other; both pin each other for good.

An identity string is NAME|JWK: my bare name, a '|', and my public key string. For scripts
and users of the web page, give yours ('rtchat keys show') and pin theirs ('rtchat keys
register'). Compare fingerprints over a channel you trust before pinning. To move my
identity to another machine: 'rtchat keys export --identity -o FILE', then 'rtchat keys
import FILE' there. Each pin is of a kind: an rtchat peer (the
default), or a web peer (a user of the RTChat web page: 'register --web').

Like ssh, rtchat refuses a config dir or a pins file that group or others can write, and a
private key file that they can read; the error gives the chmod that fixes it.`,
		Example: `  rtchat keys gen --name alice
  rtchat keys invite                  # then on bob's machine: rtchat keys accept CODE
  rtchat keys show > alice.id
  rtchat keys register "$(cat bob.id)"
  rtchat keys register --web carol '{"alg":"PS256",...}'
  rtchat keys register - < team.ids
  rtchat keys list
  rtchat keys remove bob`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return keysUsagef(cmd.CommandPath(), "unknown command %q for %q", args[0], cmd.CommandPath())
			}
			return cmd.Help()
		},
	}
	cmd.AddCommand(
		newKeysGenCmd(g, ios),
		newKeysShowCmd(g, ios),
		newKeysRegisterCmd(g, ios),
		newKeysInviteCmd(g, ios),
		newKeysAcceptCmd(g, ios),
		newKeysListCmd(g, ios),
		newKeysRemoveCmd(g, ios),
		newKeysExportCmd(g, ios),
		newKeysImportCmd(g, ios),
	)
	return cmd
}

// keysCommon is what every keys command takes from the global flags.
type keysCommon struct {
	IO        *IO
	ConfigDir string
	JSON      bool // NDJSON on stdout
}

func keysCommonOf(g *Globals, ios *IO) keysCommon {
	return keysCommon{IO: ios, ConfigDir: g.ConfigDir, JSON: g.JSON}
}

func (c keysCommon) store() *keys.Store { return keys.Open(c.ConfigDir) }

// keysUsagef is a usage error (exit 2) that ends with where to read the usage of cmd, a
// command path such as "rtchat keys register".
func keysUsagef(cmd, format string, a ...any) error {
	return usageErrorf("%s\nRun '%s --help' for usage.", fmt.Sprintf(format, a...), cmd)
}

// keysArgs checks the argument count, failing with a usage error that says what cmd takes.
func keysArgs(min, max int, want string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < min || len(args) > max {
			return keysUsagef(cmd.CommandPath(), "%s takes %s; got %d argument(s)", cmd.CommandPath(), want, len(args))
		}
		return nil
	}
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
	Kind            string `json:"kind,omitempty"`
	Result          string `json:"result,omitempty"`
	Line            int    `json:"line,omitempty"`
}

func printIdentity(c keysCommon, id *keys.Identity) error {
	if c.JSON {
		return writeJSON(c.IO.Out, identityJSON{"identity", id.Name, id.Fingerprint(), id.PublicJWK, id.IdentityString()})
	}
	_, err := fmt.Fprintln(c.IO.Out, id.IdentityString())
	return err
}

// keysName checks --name / RTCHAT_NAME as given to the command at path and returns its bare
// name, or "" when not given.
func keysName(path, raw string) (string, error) {
	if raw == "" {
		return "", nil
	}
	name := keys.BareName(raw)
	if err := keys.ValidateName(name); err != nil {
		return "", keysUsagef(path, "--name: %v", err)
	}
	return name, nil
}

// kindPhrase names a kind of peer in a sentence.
func kindPhrase(k keys.Kind) string {
	if k == keys.KindWeb {
		return "a web peer"
	}
	return "an rtchat peer"
}

// pinner pins peers and reports each result on stderr (and NDJSON on stdout).
type pinner struct {
	keysCommon
	store   *keys.Store
	replace bool
	failed  int
	total   int
}

// errOwnKey: pinning my own key for a peer would let whoever holds my key pass as them,
// and is almost always my own identity line pasted by mistake.
var errOwnKey = errors.New("that is my own key")

// pin pins one peer and reports success; the caller reports a returned error.
func (p *pinner) pin(prefix string, line int, req keys.PinRequest) error {
	p.total++
	req.Replace = p.replace
	if mine, err := p.store.LoadIdentity(); err == nil && keys.CompactPasted(req.Key) == mine.PublicJWK {
		p.failed++
		return withHint(fmt.Errorf("%w (%s, %s): not pinned for %s", errOwnKey, mine.Name, mine.Fingerprint(), req.Name),
			"pin a peer from the identity line 'rtchat keys show' prints on THEIR machine, or pair with 'rtchat keys invite'")
	}
	out, err := p.store.PinPeer(req)
	if err != nil {
		p.failed++
		return err
	}
	w, name, fp := p.IO.Err, req.Name, keys.Fingerprint(req.Key)
	switch out.Result {
	case keys.PinAdded:
		fmt.Fprintf(w, "%spinned %s (%s) as %s\n", prefix, name, fp, kindPhrase(out.Kind))
	case keys.PinUnchanged:
		fmt.Fprintf(w, "%sunchanged %s (%s), already pinned as %s\n", prefix, name, fp, kindPhrase(out.Kind))
	case keys.PinKindChanged:
		fmt.Fprintf(w, "%schanged %s (%s) from %s to %s\n", prefix, name, fp, kindPhrase(out.OldKind), kindPhrase(out.Kind))
	case keys.PinReplaced:
		fmt.Fprintf(w, "%sreplaced %s (%s, was %s)", prefix, name, fp, keys.Fingerprint(out.OldKey))
		if out.OldKind != out.Kind {
			fmt.Fprintf(w, ", now %s (was %s)", kindPhrase(out.Kind), kindPhrase(out.OldKind))
		}
		fmt.Fprintln(w)
	}
	switch {
	case keys.IsAnonymous(name):
		fmt.Fprintf(w, "%snote: web pages treat names starting with 'anon' as anonymous and drop their pins; only rtchat will use this one\n", prefix)
	case keys.IsPlaceholder(name):
		fmt.Fprintf(w, "%snote: web pages give 'User #N' names, anew on each load, to users who chose none: the next %s may be someone else; ask them to choose a name\n", prefix, name)
	}
	if p.JSON {
		return writeJSON(p.IO.Out, peerJSON{Type: "pin", Name: name, Fingerprint: fp, PublicKeyString: req.Key,
			Kind: string(out.Kind), Result: out.Result.String(), Line: line})
	}
	return nil
}

// pinReport pins one of many peers, reporting a failure on stderr and going on.
func (p *pinner) pinReport(prefix string, line int, req keys.PinRequest) {
	if err := p.pin(prefix, line, req); err != nil {
		fmt.Fprintf(p.IO.Err, "%serror: %v\n", prefix, err)
	}
}

func (p *pinner) fail(prefix string, err error) {
	p.total++
	p.failed++
	fmt.Fprintf(p.IO.Err, "%serror: %v\n", prefix, err)
}

func (p *pinner) result(what string) error {
	if p.failed > 0 {
		return fmt.Errorf("%d of %d %s failed", p.failed, p.total, what)
	}
	return nil
}

// keysSuggest returns the pinned names that name was probably meant to be: the same but for
// case or a '(…)' suffix, or a few edits away (fewer for short names).
func keysSuggest(name string, pinned []string) []string {
	type cand struct {
		name string
		d    int
	}
	lower := strings.ToLower(name)
	max := 2
	if utf8.RuneCountInString(name) <= 3 {
		max = 1
	}
	var cs []cand
	for _, p := range pinned {
		d := keys.EditDistance(lower, strings.ToLower(p))
		if p == keys.BareName(name) {
			d = 0
		}
		if d <= max {
			cs = append(cs, cand{p, d})
		}
	}
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].d != cs[j].d {
			return cs[i].d < cs[j].d
		}
		return cs[i].name < cs[j].name
	})
	out := make([]string, 0, 3)
	for i := 0; i < len(cs) && i < 3; i++ {
		out = append(out, cs[i].name)
	}
	return out
}
