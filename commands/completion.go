package commands

import (
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rtchat/rtchat/keys"
)

// setupCompletion replaces Cobra's default 'completion' command with one documented for
// rtchat, and teaches the shells the values of the global flags.
func setupCompletion(root *cobra.Command, g *Globals, ios *IO) {
	root.CompletionOptions.DisableDefaultCmd = true
	root.AddCommand(newCompletionCmd(ios))

	_ = root.MarkPersistentFlagDirname("config-dir")
	fixed := func(flag string, values ...string) {
		_ = root.RegisterFlagCompletionFunc(flag, cobra.FixedCompletions(values, cobra.ShellCompDirectiveNoFileComp))
	}
	fixed("trust",
		"known\tonly peers whose key is pinned",
		"tofu\tpin a never-seen name on its first verified connection")
	fixed("ice",
		"none\thost candidates only, no STUN/TURN servers",
		"loopback\t127.0.0.1 candidates only (one machine)")
	fixed("broker",
		DefaultBroker+"\tthe web page's public broker",
		"mqtt://127.0.0.1:1883\t'rtchat broker' on this machine")
	fixed("timeout", "10s", "30s", "1m", "5m")
	for _, f := range []string{"name", "room"} {
		_ = root.RegisterFlagCompletionFunc(f, cobra.NoFileCompletions)
	}
}

// completePeers completes a PEER argument (the first one) with the pinned peer names,
// described by their key fingerprints.
//
// The completion request ('rtchat __complete ...') does not resolve the global flags, so the
// config dir is worked out here: --config-dir if given, else RTCHAT_CONFIG_DIR, else the
// XDG default.
func completePeers(g *Globals) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		dir, err := completionConfigDir(cmd, g)
		if err != nil {
			cobra.CompDebugln("rtchat: "+err.Error(), false)
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		pins, err := keys.Open(dir).Pins()
		if err != nil {
			cobra.CompDebugln("rtchat: "+err.Error(), false)
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []cobra.Completion
		for _, name := range keys.SortedNames(pins) {
			if strings.HasPrefix(name, toComplete) {
				out = append(out, cobra.CompletionWithDesc(name, "key "+keys.Fingerprint(pins[name])))
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// completionConfigDir resolves the config dir as Globals.resolve does: flag > env > default.
func completionConfigDir(cmd *cobra.Command, g *Globals) (string, error) {
	if f := cmd.Flags().Lookup("config-dir"); f != nil && f.Changed && f.Value.String() != "" {
		return f.Value.String(), nil
	}
	lookupEnv := g.lookupEnv
	if v, ok := lookupEnv("RTCHAT_CONFIG_DIR"); ok && v != "" {
		return v, nil
	}
	return defaultConfigDir(lookupEnv)
}

func newCompletionCmd(ios *IO) *cobra.Command {
	var noDesc bool
	cmd := &cobra.Command{
		Use:   "completion bash|zsh|fish|powershell",
		Short: "Print the shell completion script for bash, zsh, fish or PowerShell",
		Long: `Print a script that makes the shell complete rtchat's commands, flags and arguments:
PEER arguments (ask, send, connect, pipe, keys remove) complete to the names of the pinned
peers ('rtchat keys list'), and --trust, --ice and --broker to their usual values.

Load it in the current shell, or install it where the shell looks for completions; see
'rtchat completion SHELL --help' for each shell. The .deb and .rpm packages install the
scripts for bash, zsh and fish already.`,
		Example: `  # bash (best with the bash-completion package)
  source <(rtchat completion bash)
  rtchat completion bash > ~/.local/share/bash-completion/completions/rtchat

  # zsh
  rtchat completion zsh > "${fpath[1]}/_rtchat"

  # fish
  rtchat completion fish > ~/.config/fish/completions/rtchat.fish

  # PowerShell
  rtchat completion powershell | Out-String | Invoke-Expression`,
		Args: cobra.NoArgs,
		// The global flags do not matter here: bad RTCHAT_* values must not break the script.
		PersistentPreRunE: func(*cobra.Command, []string) error { return nil },
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmd.Help()
		},
	}
	cmd.PersistentFlags().BoolVar(&noDesc, "no-descriptions", false, "leave out the descriptions of completions (peer fingerprints, flag values)")

	shell := func(name, short, long, example string, gen func(root *cobra.Command) error) *cobra.Command {
		return &cobra.Command{
			Use:               name,
			Short:             short,
			Long:              long,
			Example:           example,
			Args:              cobra.NoArgs,
			ValidArgsFunction: cobra.NoFileCompletions,
			RunE: func(cmd *cobra.Command, args []string) error {
				return gen(cmd.Root())
			},
		}
	}
	cmd.AddCommand(
		shell("bash", "Print the completion script for bash",
			`Print the completion script for bash. It works best with the bash-completion package
(most distributions install it; on macOS: 'brew install bash-completion@2'); without it,
commands, flags, peers and files still complete, with bash's own word splitting.

Load it in the current shell with 'source <(rtchat completion bash)'. To load it in every
session, save it as ~/.local/share/bash-completion/completions/rtchat (just me), or as
/usr/share/bash-completion/completions/rtchat (everyone; the .deb and .rpm packages put it
there).`,
			`  source <(rtchat completion bash)
  rtchat completion bash > ~/.local/share/bash-completion/completions/rtchat
  sudo sh -c 'rtchat completion bash > /usr/share/bash-completion/completions/rtchat'`,
			func(root *cobra.Command) error { return genBash(root, ios.Out, !noDesc) }),
		shell("zsh", "Print the completion script for zsh",
			`Print the completion script for zsh. Save it as _rtchat in a directory of $fpath; zsh
must have completion enabled ('autoload -U compinit; compinit' in ~/.zshrc). Start a new
shell to use it.

The .deb and .rpm packages install it as /usr/share/zsh/vendor-completions/_rtchat. With
Homebrew: "$(brew --prefix)/share/zsh/site-functions/_rtchat".`,
			`  rtchat completion zsh > "${fpath[1]}/_rtchat"
  source <(rtchat completion zsh)     # this shell only
  rtchat completion zsh > "$(brew --prefix)/share/zsh/site-functions/_rtchat"`,
			func(root *cobra.Command) error {
				if noDesc {
					return root.GenZshCompletionNoDesc(ios.Out)
				}
				return root.GenZshCompletion(ios.Out)
			}),
		shell("fish", "Print the completion script for fish",
			`Print the completion script for fish. Save it as ~/.config/fish/completions/rtchat.fish
(just me); the .deb and .rpm packages install it as
/usr/share/fish/vendor_completions.d/rtchat.fish. Or load it in the current shell.`,
			`  rtchat completion fish > ~/.config/fish/completions/rtchat.fish
  rtchat completion fish | source     # this shell only`,
			func(root *cobra.Command) error { return root.GenFishCompletion(ios.Out, !noDesc) }),
		shell("powershell", "Print the completion script for PowerShell",
			`Print the completion script for PowerShell. Load it in the current session by piping it
to Invoke-Expression; to load it in every session, add that line to your PowerShell
profile ($PROFILE).`,
			`  rtchat completion powershell | Out-String | Invoke-Expression
  Add-Content $PROFILE 'rtchat completion powershell | Out-String | Invoke-Expression'`,
			func(root *cobra.Command) error {
				if noDesc {
					return root.GenPowerShellCompletion(ios.Out)
				}
				return root.GenPowerShellCompletionWithDesc(ios.Out)
			}),
	)
	return cmd
}

// genBash writes Cobra's bash script and, after it, stand-ins for what it needs of the
// bash-completion package, so that without the package TAB still completes instead of
// printing "_get_comp_words_by_ref: command not found".
func genBash(root *cobra.Command, w io.Writer, desc bool) error {
	if err := root.GenBashCompletionV2(w, desc); err != nil {
		return err
	}
	_, err := io.WriteString(w, strings.ReplaceAll(bashFallback, "PROG", root.Name()))
	return err
}

// bashFallback replaces Cobra's __PROG_init_completion: with bash-completion it is the
// same; without it, words are bash's own COMP_WORDS (split at = and : as bash splits them)
// and _filedir is compgen's.
const bashFallback = `
# Without the bash-completion package (no _get_comp_words_by_ref, no _filedir), complete
# from bash's own words and compgen.
__PROG_init_completion()
{
    COMPREPLY=()
    if declare -F _get_comp_words_by_ref >/dev/null 2>&1; then
        _get_comp_words_by_ref "$@" cur prev words cword
        return
    fi
    words=("${COMP_WORDS[@]}")
    cword=$COMP_CWORD
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD-1]}
    if ! declare -F _filedir >/dev/null 2>&1; then
        _filedir()
        {
            local IFS=$'\n'
            compopt -o filenames 2>/dev/null
            if [[ ${1-} == -d ]]; then
                COMPREPLY+=($(compgen -d -- "$cur"))
            else
                COMPREPLY+=($(compgen -f -- "$cur"))
            fi
        }
    fi
}
`
