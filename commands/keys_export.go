package commands

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/rtchat/rtchat/keys"
)

// keysExportOptions are the inputs of 'rtchat keys export'.
type keysExportOptions struct {
	keysCommon
	Web    bool   // the web client's localStorage items, with my private key (also --identity)
	Output string // -o FILE; "" or "-" is stdout
}

func newKeysExportCmd(g *Globals, ios *IO) *cobra.Command {
	o := &keysExportOptions{}
	cmd := &cobra.Command{
		Use:   "export [--identity|--web] [-o FILE]",
		Short: "Print pinned peers, or my identity and pins to move to another machine",
		Long: `To move my identity to another machine (rtchat or a browser):
  rtchat keys export --identity -o me.json     here
  rtchat keys import me.json                   there
--identity and --web are the same: they write my identity, with its PRIVATE key, and my
pins, in the web client's localStorage form that 'rtchat keys import' reads.

Without them: print every pinned peer as an identity string NAME|JWK, one per line, the
format 'rtchat keys register -' reads (the kinds are not in it: 'register -' pins rtchat
peers, 'register --web -' web peers). That is public keys of peers, not my identity.

With --identity or --web: write one JSON object holding the web client's localStorage items, all strings:
rtchat_name, publicKeyString, privateKeyString (my identity, if I have one),
knownHostsStrings (the pins) and rtchat_cli_peer_kinds (their kinds; the web page ignores
it). In the web page's developer console, load it with
  Object.entries(OBJ).forEach(([k, v]) => localStorage.setItem(k, v))
and reload the page. This is for moving MY identity to my own browser or machine: it holds
my PRIVATE key, and anyone who gets it can pose as me. Never give it to a peer; peers pin
me from 'rtchat keys show'.

So the private key lands only where others cannot read it, with --web:
  -o FILE            creates FILE (or truncates it) with mode 0600;
  stdout to a file   (> FILE) a file others can read is made 0600 first, or refused;
  stdout to a pipe   is allowed: the program reading it gets the key;
  stdout a terminal  is refused.`,
		Example: `  rtchat keys export --identity -o me.json    # then on my other machine: rtchat keys import me.json
  rtchat keys export > peers.ids
  rtchat keys export --web -o rtchat-localstorage.json
  rtchat keys export --web | rtchat --config-dir /mnt/usb/rtchat keys import -`,
		Args: keysArgs(0, 0, "no arguments (write to a file with -o FILE)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.keysCommon = keysCommonOf(g, ios)
			return runKeysExport(o)
		},
	}
	cmd.Flags().BoolVar(&o.Web, "web", false, "write the web client's localStorage items as one JSON object, including my private key")
	cmd.Flags().BoolVar(&o.Web, "identity", false, "write my identity (with its private key) and my pins, for 'rtchat keys import' on another machine (the same as --web)")
	cmd.Flags().StringVarP(&o.Output, "output", "o", "", "write to FILE instead of stdout (with --web, created with mode 0600)")
	return cmd
}

func runKeysExport(o *keysExportOptions) error {
	store := o.store()
	if !o.Web {
		pins, err := store.Pins()
		if err != nil {
			return err
		}
		var b bytes.Buffer
		for _, n := range keys.SortedNames(pins) {
			fmt.Fprintf(&b, "%s|%s\n", n, pins[n])
		}
		if o.IO.ErrTTY {
			fmt.Fprintln(o.IO.Err, "note: these are my pins (peers' public keys), not my identity; to move my identity to another machine: rtchat keys export --identity -o FILE")
		}
		return o.write(b.Bytes(), false)
	}
	w, err := store.ExportWeb()
	if err != nil {
		return err
	}
	data, err := json.Marshal(w)
	if err != nil {
		return err
	}
	secret := w.PrivateKeyString != ""
	if !secret {
		fmt.Fprintln(o.IO.Err, "note: no identity yet, exporting pins only")
	}
	if err := o.write(append(data, '\n'), secret); err != nil {
		return err
	}
	if secret {
		fmt.Fprintf(o.IO.Err, "warning: this holds the PRIVATE key of %s: keep it secret, and never give it to a peer "+
			"(peers pin you from 'rtchat keys show')\n", w.Name)
	}
	return nil
}

// write puts data in -o FILE or on stdout; secret data only where others cannot read it.
func (o *keysExportOptions) write(data []byte, secret bool) error {
	if o.Output != "" && o.Output != "-" {
		perm := os.FileMode(0o644)
		if secret {
			perm = 0o600
		}
		if err := writeNewFile(o.Output, data, perm); err != nil {
			return err
		}
		fmt.Fprintf(o.IO.Err, "wrote %s (mode %#o)\n", o.Output, perm)
		return nil
	}
	if secret {
		if err := privateStdout(o.IO); err != nil {
			return err
		}
	}
	_, err := o.IO.Out.Write(data)
	return err
}

// writeNewFile creates or truncates path and gives it perm before writing: an existing file
// keeps its mode through a truncate, and must not hold a key while others can read it.
func writeNewFile(path string, data []byte, perm os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return fmt.Errorf("making %s mode %#o: %w", path, perm, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// privateStdout makes stdout fit for a private key, or refuses: a terminal is refused (the
// key would stay on screen and in scrollback); a regular file that group or others can read
// (as '>' creates it under the usual umask) is made 0600, or refused if it cannot be. A pipe
// hands the key to the program reading it.
func privateStdout(ios *IO) error {
	if ios.OutTTY {
		return errors.New("refusing to print a private key on the terminal: write it to a file with -o FILE " +
			"(created 0600), or redirect stdout to a file or a program")
	}
	f, ok := ios.Out.(*os.File)
	if !ok {
		return nil // an in-process writer: no file
	}
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("stdout: %w", err)
	}
	perm := st.Mode().Perm()
	if !st.Mode().IsRegular() || perm&0o077 == 0 {
		return nil
	}
	if err := f.Chmod(0o600); err != nil {
		return fmt.Errorf("%w: stdout is a file that others can read (mode %#o) and it cannot be made 0600 (%v); "+
			"it would hold the private key: write it with -o FILE instead, which creates the file 0600",
			keys.ErrUnsafePermissions, perm, err)
	}
	fmt.Fprintf(ios.Err, "note: stdout is a file that others could read (mode %#o): made it 0600, as it holds the private key\n", perm)
	return nil
}
