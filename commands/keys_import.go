package commands

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rtchat/rtchat/keys"
)

// keysImportOptions are the inputs of 'rtchat keys import'.
type keysImportOptions struct {
	keysCommon
	Name     string // --name / RTCHAT_NAME as given: the name of an imported identity
	File     string // FILE, or "-" for stdin
	Force    bool   // replace my different identity with the imported one
	Replace  bool   // replace pins whose key differs
	PinsOnly bool   // take only public keys, never the identity
}

func newKeysImportCmd(g *Globals, ios *IO) *cobra.Command {
	o := &keysImportOptions{}
	cmd := &cobra.Command{
		Use:   "import FILE|-",
		Short: "Import my identity, or pins, from the web client's localStorage",
		Long: `Import the web client's localStorage items from FILE (or stdin with '-'): a JSON object
with rtchat_name, publicKeyString, privateKeyString and knownHostsStrings (as the
localStorage string or as an object). This is the format 'rtchat keys export --web'
writes. In the web page's developer console, copy yours with
  copy(JSON.stringify(Object.fromEntries(["rtchat_name", "publicKeyString",
    "privateKeyString", "knownHostsStrings"].map(k => [k, localStorage.getItem(k)]))))

A file with a private key is an identity: MY identity, moved from my browser or another
machine. It becomes mine (rtchat_name its name; --name overrides), and its
knownHostsStrings become pins. Because it holds a private key, the file must not be
readable by group or others (chmod 600 FILE), like identity.json. If I already have a
different identity, nothing is imported: --force makes the file's identity mine (my old
key is lost), and --pins-only takes only its public keys.

A file without a private key, or any file with --pins-only, only pins: its
knownHostsStrings, and its owner (rtchat_name with publicKeyString) unless that is me.
To pin one peer, their identity line is enough: 'rtchat keys register NAME|JWK'.

Pins from a browser's data are web peers; data from 'rtchat keys export --web' keeps the
kinds it lists. A name that is already pinned keeps its kind. A pin that differs from an
existing one is replaced only with --replace. Names starting with 'anon' are skipped, as
the web client does. Each result is reported on stderr; the exit status is 1 if anything
failed.`,
		Example: `  rtchat keys import rtchat-localstorage.json
  pbpaste | rtchat keys import -
  rtchat keys import --pins-only their-known-hosts.json
  rtchat keys import --force --replace backup.json`,
		Args: keysArgs(1, 1, "one FILE, or - for stdin"),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.keysCommon, o.Name, o.File = keysCommonOf(g, ios), g.Name, args[0]
			return runKeysImport(o)
		},
	}
	cmd.Flags().BoolVar(&o.Force, "force", false, "replace my existing identity with the imported one")
	cmd.Flags().BoolVar(&o.Replace, "replace", false, "replace pins whose key differs from the imported one")
	cmd.Flags().BoolVar(&o.PinsOnly, "pins-only", false, "import only public keys (pins), never an identity, even from a file with a private key")
	return cmd
}

// importSource is the data to import, where it came from, and its file mode when it is a
// regular file (0 otherwise).
type importSource struct {
	data []byte
	name string // the path, or "stdin"
	mode fs.FileMode
}

func readImportSource(o *keysImportOptions) (*importSource, error) {
	var f *os.File
	src := &importSource{name: o.File}
	if o.File == "-" {
		src.name = "stdin"
		// stdin redirected from a file (< FILE) is checked like FILE; other readers are not files.
		f, _ = o.IO.In.(*os.File)
		if f == nil {
			data, err := io.ReadAll(o.IO.In)
			if err != nil {
				return nil, fmt.Errorf("reading stdin: %w", err)
			}
			src.data = data
			return src, nil
		}
	} else {
		var err error
		if f, err = os.Open(o.File); err != nil {
			return nil, err
		}
		defer f.Close()
	}
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", src.name, err)
	}
	if st.Mode().IsRegular() {
		src.mode = st.Mode()
	}
	if src.data, err = io.ReadAll(f); err != nil {
		return nil, fmt.Errorf("reading %s: %w", src.name, err)
	}
	return src, nil
}

// exposed reports the permission problem of a source holding a private key, or nil.
func (src *importSource) exposed() error {
	if src.mode == 0 || runtime.GOOS == "windows" {
		return nil
	}
	if src.name == "stdin" {
		if src.mode.Perm()&0o077 != 0 {
			return fmt.Errorf("%w: stdin is a file that group or others can access (mode %#o) holding a private key; "+
				"chmod 600 that file first", keys.ErrUnsafePermissions, src.mode.Perm())
		}
		return nil
	}
	return keys.CheckPrivateKeyPerm(src.name, src.mode)
}

func runKeysImport(o *keysImportOptions) error {
	const path = "rtchat keys import"
	if o.PinsOnly && o.Force {
		return keysUsagef(path, "--force replaces my identity and --pins-only never touches it: give one of them")
	}
	src, err := readImportSource(o)
	if err != nil {
		return err
	}
	if err := otherKind(src); err != nil {
		return err
	}
	w, err := keys.ParseWebStorage(src.data)
	if err != nil {
		return withHint(fmt.Errorf("%s: %w", src.name, err),
			"import reads what 'rtchat keys export --identity' (or --web) writes: my identity and pins as the web client's localStorage JSON")
	}
	store := o.store()
	mine, err := store.LoadIdentity()
	if errors.Is(err, keys.ErrNoIdentity) {
		mine, err = nil, nil
	}
	if err != nil {
		return err
	}
	errw := o.IO.Err
	p := &pinner{keysCommon: o.keysCommon, store: store, replace: o.Replace}
	hasPrivate := w.PrivateKeyString != ""
	if hasPrivate && !o.PinsOnly {
		if err := src.exposed(); err != nil {
			return fmt.Errorf("%w\n(to take only the public keys from it, use --pins-only)", err)
		}
		id, err := importIdentity(o, store, mine, w, src.name)
		if err != nil {
			return err
		}
		mine = id
	} else {
		if hasPrivate {
			if err := src.exposed(); err != nil {
				fmt.Fprintf(errw, "warning: %v\n", err)
			}
			fmt.Fprintf(errw, "%s holds a private key; --pins-only: importing public keys only\n", src.name)
		} else {
			fmt.Fprintf(errw, "%s holds no private key: importing pins only\n", src.name)
		}
		importOwner(p, mine, w)
	}
	for _, n := range keys.SortedNames(w.KnownHosts) {
		key, prefix := w.KnownHosts[n], "pin "+n+": "
		switch {
		case keys.IsAnonymous(n):
			fmt.Fprintf(errw, "%sskipped, anonymous name (web pages drop such pins)\n", prefix)
		case mine != nil && key == mine.PublicJWK:
			fmt.Fprintf(errw, "%sskipped, that is my own key\n", prefix)
		default:
			p.pinReport(prefix, 0, keys.PinRequest{Name: n, Key: key, Kind: importKind(w, n), KeepKind: true})
		}
	}
	if p.total == 0 && !hasPrivate && w.PublicKeyString == "" && len(w.KnownHosts) == 0 {
		return fmt.Errorf("nothing to import from %s: no privateKeyString/publicKeyString and no knownHostsStrings", src.name)
	}
	return p.result("imports")
}

// importKind is the kind of a pin from the data: the kind rtchat exported with it, else web,
// as a browser's pins are (a peer that proves itself the rtchat way later is upgraded).
func importKind(w *keys.WebStorage, name string) keys.Kind {
	if k, ok := w.PeerKinds[name]; ok {
		return k
	}
	return keys.KindWeb
}

// importOwner pins the owner of pin-only data (rtchat_name with publicKeyString), unless
// that is me.
func importOwner(p *pinner, mine *keys.Identity, w *keys.WebStorage) {
	if w.PublicKeyString == "" {
		return
	}
	switch {
	case mine != nil && w.PublicKeyString == mine.PublicJWK:
		fmt.Fprintf(p.IO.Err, "identity: %s is my own key, not pinned\n", mine.Name)
	case w.Name == "":
		p.fail("identity: ", errors.New("publicKeyString without rtchat_name: not pinned, as its name is unknown; "+
			"pin it with: rtchat keys register NAME JWK"))
	case keys.IsAnonymous(w.Name):
		fmt.Fprintf(p.IO.Err, "identity %s: skipped, anonymous name (web pages drop such pins)\n", w.Name)
	default:
		kind := keys.KindWeb
		if w.FromRTChat() {
			kind = keys.KindRTChat
		}
		p.pinReport("identity "+w.Name+": ", 0, keys.PinRequest{Name: w.Name, Key: w.PublicKeyString, Kind: kind, KeepKind: true})
	}
}

// importIdentity makes the data's identity mine, unless I have another one (then only with
// --force) or it is a peer's (someone I pinned). It returns the identity now mine.
func importIdentity(o *keysImportOptions, store *keys.Store, mine *keys.Identity, w *keys.WebStorage, srcName string) (*keys.Identity, error) {
	name, err := keysName("rtchat keys import", o.Name)
	if err != nil {
		return nil, err
	}
	if name == "" {
		name = w.Name
	}
	if name == "" {
		return nil, keysUsagef("rtchat keys import", "%s has no rtchat_name: give the identity a name with --name NAME", srcName)
	}
	id, err := keys.NewIdentity(name, w.PublicKeyString, w.PrivateKeyString)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", srcName, err)
	}
	errw := o.IO.Err
	if mine != nil && mine.Name == id.Name && mine.PublicJWK == id.PublicJWK && mine.PrivateJWK == id.PrivateJWK {
		fmt.Fprintf(errw, "identity: unchanged %s (%s)\n", id.Name, id.Fingerprint())
		return mine, nil
	}
	if !o.Force {
		theirs := fmt.Sprintf("%s holds the identity of %s (%s)", srcName, id.Name, id.Fingerprint())
		if mine != nil {
			return nil, fmt.Errorf("%w: %s, and mine is %s (%s); nothing was imported.\n"+
				"If it is someone else's export: to pin %s and its pins, use --pins-only (their identity line, "+
				"'rtchat keys show' on their side, is enough to pin them; this file also holds their PRIVATE key).\n"+
				"If it is my identity from another device: use --force to make it mine (my current key is lost, "+
				"and peers who pinned it will refuse me)",
				keys.ErrIdentityExists, theirs, mine.Name, mine.Fingerprint(), id.Name)
		}
		if pin, ok, err := store.LookupPin(id.Name); err != nil {
			return nil, err
		} else if ok && pin.Key == id.PublicJWK {
			return nil, fmt.Errorf("%s, whom I pinned as a peer: it is their export, not mine; nothing was imported.\n"+
				"To take its pins, use --pins-only; to make it my identity anyway, use --force", theirs)
		}
	}
	if err := store.SaveIdentity(id, o.Force); err != nil {
		return nil, err
	}
	fmt.Fprintf(errw, "identity: imported %s (%s) as my identity into %s\n", id.Name, id.Fingerprint(), store.IdentityPath())
	return id, nil
}

// otherKind names what a file that import cannot read is, when it is one of the other
// files rtchat makes, and says which command takes it.
func otherKind(src *importSource) error {
	text := strings.TrimSpace(strings.TrimPrefix(string(src.data), "\uFEFF"))
	if first, _, _ := strings.Cut(text, "\n"); strings.Contains(first, "|") && !strings.HasPrefix(first, "{") {
		return withHint(fmt.Errorf("%s holds identity lines (NAME|JWK, what 'rtchat keys show' and 'rtchat keys export' without --identity print): "+
			"public keys of peers, not an identity to import", src.name),
			"pin them with: rtchat keys register - < "+src.name)
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal([]byte(text), &obj) == nil {
		if _, ok := obj["kty"]; ok {
			return withHint(fmt.Errorf("%s holds one key (a JWK), not an identity or pins to import", src.name),
				"pin it under its owner's name with: rtchat keys register NAME \"$(cat "+src.name+")\"")
		}
	}
	return nil
}
