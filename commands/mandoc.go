package commands

import (
	"fmt"
	"sort"

	"github.com/rtchat/rtchat/keys"
)

// ManSection is a section the man pages add to what Cobra generates (cmd/gendocs): EXIT
// STATUS, ENVIRONMENT and FILES, the same on every page.
type ManSection struct {
	Title string
	Intro string
	Items []ManItem
}

// ManItem is one tagged paragraph of a ManSection.
type ManItem struct{ Term, Text string }

// ManSections returns the sections, built from the values the code uses.
func ManSections() []ManSection {
	env := make([]ManItem, 0, len(envOf)+2)
	flagOf := map[string]string{}
	for flag, v := range envOf {
		flagOf[v] = flag
	}
	names := make([]string, 0, len(flagOf))
	for v := range flagOf {
		names = append(names, v)
	}
	sort.Strings(names)
	for _, v := range names {
		text := fmt.Sprintf("the value of --%s when the flag is not given; it wins over config.toml", flagOf[v])
		if flagOf[v] == "config-dir" {
			text = "the config dir when --config-dir is not given"
		}
		env = append(env, ManItem{v, text})
	}
	env = append(env,
		ManItem{"XDG_CONFIG_HOME", "the config dir is $XDG_CONFIG_HOME/rtchat when RTCHAT_CONFIG_DIR and --config-dir are not given"},
		ManItem{"HOME", "otherwise the config dir is $HOME/.config/rtchat"},
		ManItem{"RTCHAT_PEER, RTCHAT_PEER_FULL, RTCHAT_TOPIC", "set by 'rtchat listen --exec' for the command it runs: who asked, and the question's topic"},
	)
	return []ManSection{
		{
			Title: "EXIT STATUS",
			Items: []ManItem{
				{fmt.Sprint(ExitOK), "success"},
				{fmt.Sprint(ExitFailure), "any other failure (the message on stderr says what), such as a broker that refuses the connection"},
				{fmt.Sprint(ExitUsage), "usage error: a bad flag, argument or setting"},
				{fmt.Sprint(ExitNotVerified), "peer not verified: its key is not pinned (with --trust known) or differs from the pin, or its proof failed"},
				{fmt.Sprint(ExitTimeout), "timed out: the peer did not appear, connect or answer within --timeout"},
				{fmt.Sprint(ExitLost), "the connection was lost before the work was done"},
				{"130", "interrupted by Ctrl-C (SIGINT), whatever the command was doing"},
				{"143", "terminated by SIGTERM before the work was done; listen and broker, which run until stopped, exit 0 on SIGTERM"},
			},
		},
		{
			Title: "ENVIRONMENT",
			Items: env,
		},
		{
			Title: "FILES",
			Intro: "In the config dir (--config-dir, RTCHAT_CONFIG_DIR, else $XDG_CONFIG_HOME/rtchat or ~/.config/rtchat; mode 0700, and refused when others can write it):",
			Items: []ManItem{
				{keys.IdentityFile, "my name and key pair (the private key: mode 0600, refused when others can read it)"},
				{keys.PinsFile, "pinned peers: name → public key, the web client's knownHostsStrings object"},
				{keys.KindsFile, "whether each pinned name is an rtchat peer or a web page"},
				{ConfigFileName, "optional settings: name, broker, room, ice, timeout, trust (see 'rtchat config')"},
			},
		},
	}
}
