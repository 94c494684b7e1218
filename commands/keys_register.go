package commands

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rtchat/rtchat/keys"
)

// keysRegisterOptions are the inputs of 'rtchat keys register'.
type keysRegisterOptions struct {
	keysCommon
	Args    []string // IDENTITY, NAME JWK, or -
	Replace bool     // replace a different key pinned for the name
	Web     bool     // pin as a web peer (else an rtchat peer)
}

func newKeysRegisterCmd(g *Globals, ios *IO) *cobra.Command {
	o := &keysRegisterOptions{}
	cmd := &cobra.Command{
		Use:   "register IDENTITY | register NAME JWK | register -",
		Short: "Pin a peer's public key",
		Long: `Pin a peer's public key under its bare name, so that rtchat talks to that name only
when it proves possession of this key. The key is given as an identity string NAME|JWK
(what 'rtchat keys show' prints), as NAME and JWK separately, or with '-' as identity
strings on stdin, one per line (blank lines and lines starting with '#' are skipped).

Pasted text is taken as it comes: spaces around the name and the key, and a key that a
mail or a terminal wrapped over several lines or indented, are undone (whitespace outside
the JSON strings, and line breaks inside them, are dropped), so the pin is the exact key
string the peer sends. On stdin, an identity whose key is not closed at the end of its
line goes on over the next lines; a line with a '|' always starts a new one.

A peer is pinned as an rtchat peer, which must prove its key bound to the connection.
Pin a user of the RTChat web page with --web: the page can only give the older, unbound
proof. Registering a pinned key again with the other kind changes the kind.

Each result is reported on stderr ("line 3: pinned bob (fingerprint) as an rtchat peer");
with '-' a bad line does not stop the others, but the exit status is 1 if any line failed.
A name already pinned to a different key is refused unless --replace is given: a changed
key may mean the peer made a new identity, or that someone is impersonating them. Check
the fingerprint with the peer over a channel you trust. My own key is refused.

Between two rtchat users, 'rtchat keys invite' and 'rtchat keys accept CODE' do all of
this in one step with a one-time code; register is for scripts and web page users.`,
		Example: `  rtchat keys register 'bob|{"alg":"PS256","e":"AQAB",...}'
  rtchat keys register bob "$(cat bob.jwk)"
  rtchat keys register --web carol '{"alg":"PS256",...}'   # a web page user
  rtchat keys register - < team.ids
  ssh bob@host rtchat keys show | rtchat keys register -
  rtchat keys register --replace "$(cat bob-new.id)"`,
		Args: cobra.ArbitraryArgs, // checked by runKeysRegister, with a hint for each mistake
		RunE: func(cmd *cobra.Command, args []string) error {
			o.keysCommon, o.Args = keysCommonOf(g, ios), args
			return runKeysRegister(o)
		},
	}
	cmd.Flags().BoolVar(&o.Replace, "replace", false, "replace the key of a name that is already pinned to a different key")
	cmd.Flags().BoolVar(&o.Web, "web", false, "pin as a user of the RTChat web page (default: an rtchat peer)")
	return cmd
}

func runKeysRegister(o *keysRegisterOptions) error {
	const path = "rtchat keys register"
	kind := keys.KindRTChat
	if o.Web {
		kind = keys.KindWeb
	}
	p := &pinner{keysCommon: o.keysCommon, store: o.store(), replace: o.Replace}
	args := o.Args
	switch {
	case len(args) < 1 || len(args) > 2:
		return keysUsagef(path, "keys register takes IDENTITY (NAME|JWK), NAME JWK, or - (identities on stdin); got %d arguments", len(args))
	case args[0] == "-" && len(args) == 2:
		return keysUsagef(path, "keys register - reads identities from stdin and takes no other argument")
	case args[0] == "-":
		err := keys.ReadIdentities(o.IO.In, func(pi keys.PastedIdentity) error {
			prefix := pi.Lines() + ": "
			name, jwk, err := keys.ParseIdentity(pi.Text)
			if err != nil {
				p.fail(prefix, err)
				return nil
			}
			p.pinReport(prefix, pi.First, keys.PinRequest{Name: name, Key: jwk, Kind: kind})
			return nil
		})
		if err != nil {
			return err
		}
		if p.total == 0 {
			return errors.New("no identities on stdin (expected NAME|JWK lines)")
		}
		return p.result("identities")
	case len(args) == 2:
		name, jwk, err := registerNameKey(path, args[0], args[1])
		if err != nil {
			return err
		}
		return p.pin("", 0, keys.PinRequest{Name: name, Key: jwk, Kind: kind})
	}
	arg := strings.TrimSpace(args[0])
	if !strings.Contains(arg, "|") {
		if strings.HasPrefix(arg, "{") {
			return keysUsagef(path, "keys register got a key without a name: give the name too: rtchat keys register NAME JWK")
		}
		return keysUsagef(path, "keys register %s: the key is missing: give it as rtchat keys register %s JWK, or give the "+
			"identity line '%s|JWK' (what 'rtchat keys show' prints on their side)", arg, arg, arg)
	}
	name, jwk, err := keys.ParseIdentity(arg)
	if err != nil {
		return err
	}
	return p.pin("", 0, keys.PinRequest{Name: name, Key: jwk, Kind: kind})
}

// registerNameKey checks NAME and JWK given apart, as pasted (see keys.CompactPasted). A
// whole identity line given as the key is taken when its name is NAME.
func registerNameKey(path, name, jwk string) (string, string, error) {
	name = strings.TrimSpace(name)
	if err := keys.ValidateName(name); err != nil {
		return "", "", err
	}
	if t := strings.TrimSpace(jwk); !strings.HasPrefix(t, "{") && strings.Contains(t, "|") {
		idName, idKey, err := keys.ParseIdentity(t)
		if err != nil || idName != name {
			return "", "", keysUsagef(path, "the key of %s looks like an identity line NAME|JWK: give either NAME JWK, "+
				"or the identity line alone: rtchat keys register 'NAME|JWK'", name)
		}
		return name, idKey, nil
	}
	jwk = keys.CompactPasted(jwk)
	if _, err := keys.ParsePublicJWK(jwk); err != nil {
		return "", "", fmt.Errorf("key of %q: %w", name, err)
	}
	return name, jwk, nil
}
