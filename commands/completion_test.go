package commands

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestCompletionScripts(t *testing.T) {
	for _, tc := range []struct {
		shell string
		marks []string // text each script must hold
	}{
		{"bash", []string{"__start_rtchat", "complete -o default -F __start_rtchat rtchat"}},
		{"zsh", []string{"#compdef rtchat", "compdef _rtchat rtchat"}},
		{"fish", []string{"complete -c rtchat", "__rtchat_perform_completion"}},
		{"powershell", []string{"Register-ArgumentCompleter", "-CommandName 'rtchat'"}},
	} {
		for _, noDesc := range []bool{false, true} {
			args := []string{"completion", tc.shell}
			if noDesc {
				args = append(args, "--no-descriptions")
			}
			// A bad RTCHAT_* value must not break the script.
			code, out, stderr := runKeysCLI(t, map[string]string{"RTCHAT_TIMEOUT": "bogus"}, "", args...)
			mustCode(t, strings.Join(args, " "), code, 0, stderr)
			if stderr != "" {
				t.Errorf("%s: stderr %q", strings.Join(args, " "), stderr)
			}
			mustContain(t, strings.Join(args, " "), out, tc.marks...)
			if tc.shell == "bash" {
				bashSyntax(t, out)
			}
		}
	}
}

// bashSyntax checks a bash script with 'bash -n'.
func bashSyntax(t *testing.T, script string) {
	t.Helper()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Log("no bash on PATH, syntax not checked")
		return
	}
	cmd := exec.Command(bash, "-n")
	cmd.Stdin = strings.NewReader(script)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("bash -n: %v\n%s", err, out)
	}
}

func TestCompletionHelp(t *testing.T) {
	code, out, stderr := runKeysCLI(t, nil, "", "completion", "--help")
	mustCode(t, "completion --help", code, 0, stderr)
	mustContain(t, "completion --help", out, "source <(rtchat completion bash)", "rtchat completion zsh >",
		"rtchat completion fish >", "rtchat completion powershell | Out-String | Invoke-Expression")

	code, _, stderr = runKeysCLI(t, nil, "", "completion", "tcsh")
	mustCode(t, "completion tcsh", code, ExitUsage, stderr)
}

// completeLines runs Cobra's hidden completion request and returns the candidates and the
// directive line.
func completeLines(t *testing.T, env map[string]string, args ...string) (cands []string, directive string) {
	t.Helper()
	code, out, stderr := runKeysCLI(t, env, "", append([]string{"__complete"}, args...)...)
	mustCode(t, "__complete "+strings.Join(args, " "), code, 0, stderr)
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) == 0 || !strings.HasPrefix(lines[len(lines)-1], ":") {
		t.Fatalf("__complete %q: no directive line in\n%s", args, out)
	}
	return lines[:len(lines)-1], lines[len(lines)-1]
}

func names(cands []string) []string {
	var out []string
	for _, c := range cands {
		name, _, _ := strings.Cut(c, "\t")
		out = append(out, name)
	}
	return out
}

func TestCompletePeers(t *testing.T) {
	bob, carol := testPeers(t)
	dir := t.TempDir()
	env := map[string]string{"RTCHAT_CONFIG_DIR": dir, "HOME": t.TempDir()}
	for _, p := range []struct{ name, jwk string }{{"bob", bob.PublicJWK}, {"carol", carol.PublicJWK}, {"User #417", bob.PublicJWK}} {
		code, _, stderr := runKeysCLI(t, env, "", "keys", "register", p.name, p.jwk)
		mustCode(t, "register "+p.name, code, 0, stderr)
	}
	const noFile = ":4" // cobra.ShellCompDirectiveNoFileComp

	for _, cmd := range [][]string{{"ask"}, {"send"}, {"connect"}, {"pipe"}, {"keys", "remove"}} {
		cands, dirv := completeLines(t, env, append(cmd, "")...)
		if got := strings.Join(names(cands), ","); got != "User #417,bob,carol" {
			t.Errorf("%v: candidates %q", cmd, cands)
		}
		if dirv != noFile {
			t.Errorf("%v: directive %s, want %s", cmd, dirv, noFile)
		}
	}
	cands, _ := completeLines(t, env, "ask", "")
	if len(cands) == 0 || !strings.Contains(cands[1], "\tkey "+bob.Fingerprint()) {
		t.Errorf("ask: candidates lack fingerprint descriptions: %q", cands)
	}

	// A prefix narrows the list; the second argument (QUESTION, MESSAGE) is free text.
	if cands, _ := completeLines(t, env, "send", "ca"); strings.Join(names(cands), ",") != "carol" {
		t.Errorf("send ca: %q", cands)
	}
	if cands, dirv := completeLines(t, env, "ask", "bob", ""); len(cands) != 0 || dirv != noFile {
		t.Errorf("ask bob '': %q %s", cands, dirv)
	}

	// --config-dir wins over the environment; the XDG default is used without either.
	other := t.TempDir()
	code, _, stderr := runKeysCLI(t, map[string]string{"RTCHAT_CONFIG_DIR": other}, "", "keys", "register", "dave", carol.PublicJWK)
	mustCode(t, "register dave", code, 0, stderr)
	if cands, _ := completeLines(t, env, "--config-dir", other, "pipe", ""); strings.Join(names(cands), ",") != "dave" {
		t.Errorf("--config-dir: %q", cands)
	}
	if cands, _ := completeLines(t, env, "pipe", "--config-dir="+other, ""); strings.Join(names(cands), ",") != "dave" {
		t.Errorf("pipe --config-dir=: %q", cands)
	}
	xdg := t.TempDir()
	code, _, stderr = runKeysCLI(t, map[string]string{"RTCHAT_CONFIG_DIR": filepath.Join(xdg, "rtchat")}, "", "keys", "register", "erin", bob.PublicJWK)
	mustCode(t, "register erin", code, 0, stderr)
	if cands, _ := completeLines(t, map[string]string{"XDG_CONFIG_HOME": xdg}, "connect", ""); strings.Join(names(cands), ",") != "erin" {
		t.Errorf("XDG default: %q", cands)
	}

	// No pins (or no config dir at all): nothing, and no file names either.
	if cands, dirv := completeLines(t, map[string]string{"RTCHAT_CONFIG_DIR": t.TempDir()}, "ask", ""); len(cands) != 0 || dirv != noFile {
		t.Errorf("empty: %q %s", cands, dirv)
	}
}

func TestCompleteFlagValues(t *testing.T) {
	env := map[string]string{"RTCHAT_CONFIG_DIR": t.TempDir()}
	cands, _ := completeLines(t, env, "listen", "--trust", "")
	if got := strings.Join(names(cands), ","); got != "known,tofu" {
		t.Errorf("--trust: %q", cands)
	}
	cands, _ = completeLines(t, env, "ask", "--ice", "")
	if got := strings.Join(names(cands), ","); got != "none,loopback" {
		t.Errorf("--ice: %q", cands)
	}
	cands, _ = completeLines(t, env, "completion", "")
	if got := strings.Join(names(cands), ","); got != "bash,fish,powershell,zsh" {
		t.Errorf("completion: %q", cands)
	}
}
