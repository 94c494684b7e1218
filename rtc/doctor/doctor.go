// Package doctor holds the checks behind 'rtchat doctor': is my identity usable, are peers
// pinned, is the MQTT broker reachable and relaying, do the ICE servers answer, is the
// kernel's UDP buffer cap large enough. Each check returns a Result with a verdict and, for
// a warning or a failure, what to do about it. Nothing here prints.
package doctor

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/rtchat/rtchat/keys"
	"github.com/rtchat/rtchat/rtc/iceconf"
)

// Status is a check's verdict.
type Status string

// Verdicts. Only StatusFail makes 'rtchat doctor' exit non-zero.
const (
	StatusOK   Status = "ok"
	StatusWarn Status = "warn"
	StatusFail Status = "fail"
)

// Names of the checks.
const (
	CheckIdentity  = "identity"
	CheckPeers     = "peers"
	CheckBroker    = "broker"
	CheckICE       = "ice"
	CheckUDPBuffer = "udp-buffer"
)

// Result is the outcome of one check.
type Result struct {
	Name      string        // one of the Check* names
	Target    string        // what was checked: a path, a broker or ICE server URL (no passwords)
	Status    Status        // ok, warn or fail
	Detail    string        // one line: what was found
	Fix       string        // for warn/fail: what to do about it
	RTT       time.Duration // measured round trip (broker, ICE); 0 when not measured
	Reflexive string        // ICE: the server-reflexive (public) address the server saw
	Relay     string        // ICE (TURN): the relayed address of a test allocation
}

// Failed reports whether r fails the doctor run.
func (r Result) Failed() bool { return r.Status == StatusFail }

// Identity checks that the config dir holds a loadable identity and that the key file (0600)
// and the directory (0700) are not accessible by others. name is --name ("" when not given).
func Identity(dir, name string) Result {
	store := keys.Open(dir)
	r := Result{Name: CheckIdentity, Target: store.IdentityPath()}
	id, err := store.LoadIdentity()
	dirFix := dirPermFix(dir)
	switch {
	case errors.Is(err, keys.ErrNoIdentity):
		r.Status = StatusFail
		r.Detail = "no identity in " + dir
		r.Fix = "run: rtchat keys gen --name NAME" + configDirArg(dir)
		return r
	case errors.Is(err, keys.ErrUnsafeOwner):
		// The error names the file or dir, who owns it, and the fix.
		r.Status = StatusFail
		r.Detail, r.Fix = ownerDetail(err)
		return r
	case errors.Is(err, keys.ErrUnsafePermissions):
		r.Status = StatusFail
		r.Detail = fmt.Sprintf("%s is readable by others (mode %s): rtchat refuses to use it", store.IdentityPath(), modeOf(store.IdentityPath()))
		r.Fix = "run: chmod 600 " + shellQuote(store.IdentityPath())
		if dirFix != "" {
			r.Fix += " && " + dirFix
		}
		return r
	case err != nil:
		r.Status = StatusFail
		r.Detail = "cannot load the identity: " + err.Error()
		r.Fix = "restore " + store.IdentityPath() + " from a backup, or make a new one with: rtchat keys gen --force --name NAME" + configDirArg(dir) + " (peers must then pin the new key)"
		return r
	}
	who := id.Name
	if name != "" && name != id.Name {
		if err := keys.ValidateName(name); err != nil {
			r.Status = StatusFail
			r.Detail = "--name: " + err.Error()
			r.Fix = "give a bare name without '|' or control characters"
			return r
		}
		who = fmt.Sprintf("%s (--name; stored name %s)", name, id.Name)
	}
	r.Status = StatusOK
	r.Detail = fmt.Sprintf("%s (fingerprint %s) in %s", who, keys.Fingerprint(id.PublicJWK), dir)
	if dirFix != "" {
		r.Status = StatusWarn
		r.Detail += fmt.Sprintf("; the directory is accessible by others (mode %s)", modeOf(dir))
		r.Fix = "run: " + dirFix
	}
	return r
}

// ownerDetail splits a keys.ErrUnsafeOwner refusal into what is wrong and its fix.
func ownerDetail(err error) (detail, fix string) {
	msg := err.Error()
	if i := strings.Index(msg, "; rtchat refuses it until you fix it with: "); i >= 0 {
		return msg[:i], "run: " + msg[i+len("; rtchat refuses it until you fix it with: "):]
	}
	return msg, "make the config dir and its files yours (chown) and writable by you only"
}

// dirPermFix returns the chmod line when dir is group/other accessible, else "".
func dirPermFix(dir string) string {
	if runtime.GOOS == "windows" {
		return ""
	}
	st, err := os.Stat(dir)
	if err != nil || st.Mode().Perm()&0o077 == 0 {
		return ""
	}
	return "chmod 700 " + shellQuote(dir)
}

func modeOf(path string) string {
	st, err := os.Stat(path)
	if err != nil {
		return "unknown"
	}
	return fmt.Sprintf("%#o", st.Mode().Perm())
}

// Peers counts the pinned peers. None is a warning: with the default trust policy nobody
// can connect.
func Peers(dir string) Result {
	store := keys.Open(dir)
	r := Result{Name: CheckPeers, Target: store.PinsPath()}
	peers, err := store.PinnedPeers()
	if errors.Is(err, keys.ErrUnsafeOwner) {
		r.Status = StatusFail
		r.Detail, r.Fix = ownerDetail(err)
		return r
	}
	if errors.Is(err, keys.ErrUnsafePermissions) {
		r.Status = StatusFail
		r.Detail = err.Error()
		r.Fix = "remove write access for group and others: chmod 700 " + shellQuote(dir) + " && chmod 600 " +
			shellQuote(store.PinsPath()) + " " + shellQuote(store.KindsPath()) + " (whichever exist)"
		return r
	}
	if err != nil {
		r.Status = StatusFail
		r.Detail = "cannot read the pinned peers: " + err.Error()
		r.Fix = "repair or remove " + store.PinsPath() + " (a JSON object of name → key string), then pin peers again with: rtchat keys register IDENTITY"
		return r
	}
	pins := make(map[string]string, len(peers))
	web := 0
	for n, p := range peers {
		pins[n] = p.Key
		if p.Kind == keys.KindWeb {
			web++
		}
	}
	if len(pins) == 0 {
		r.Status = StatusWarn
		r.Detail = "no pinned peers: with --trust known (the default) nobody can connect to you or be reached"
		r.Fix = "ask each peer for their identity ('rtchat keys show' on their side) and run: rtchat keys register 'NAME|KEY'" +
			configDirArg(dir) + " (or use --trust tofu to pin new names on first contact)"
		return r
	}
	names := keys.SortedNames(pins)
	shown := names
	if len(shown) > 5 {
		shown = append(append([]string(nil), shown[:5]...), "…")
	}
	r.Status = StatusOK
	r.Detail = fmt.Sprintf("%d pinned peer%s: %s", len(pins), plural(len(pins)), strings.Join(shown, ", "))
	if web > 0 {
		r.Detail += fmt.Sprintf(" (%d web page%s: verified without binding to the connection)", web, plural(web))
	}
	return r
}

// UDPBuffer compares the kernel's UDP buffer caps (net.core.rmem_max, wmem_max) with the
// 4 MiB that rtchat asks for on its ICE sockets (iceconf.SocketBuffer).
func UDPBuffer() Result {
	if runtime.GOOS != "linux" {
		return Result{Name: CheckUDPBuffer, Status: StatusOK,
			Detail: "not Linux: the UDP buffer cap was not checked"}
	}
	rmem, err := iceconf.ReadRmemMax()
	if err != nil {
		return Result{Name: CheckUDPBuffer, Target: "/proc/sys/net/core/rmem_max", Status: StatusWarn,
			Detail: "cannot read net.core.rmem_max: " + err.Error(),
			Fix:    "check it with: sysctl net.core.rmem_max (rtchat pipe wants at least 4194304)"}
	}
	wmem, werr := iceconf.ReadWmemMax()
	if werr != nil {
		wmem = -1
	}
	return UDPBufferFrom(rmem, wmem)
}

// UDPBufferFix is the command that raises the caps until the next reboot.
const UDPBufferFix = "sudo sysctl -w net.core.rmem_max=4194304 net.core.wmem_max=4194304"

// UDPBufferFrom judges given values of net.core.rmem_max and wmem_max (wmem < 0: unknown).
func UDPBufferFrom(rmem, wmem int) Result {
	r := Result{Name: CheckUDPBuffer, Target: "net.core.rmem_max"}
	want := iceconf.SocketBuffer
	low := rmem < want || (wmem >= 0 && wmem < want)
	desc := "net.core.rmem_max=" + strconv.Itoa(rmem) + " (" + human(rmem) + ")"
	if wmem >= 0 {
		desc += ", wmem_max=" + strconv.Itoa(wmem) + " (" + human(wmem) + ")"
	}
	if !low {
		r.Status = StatusOK
		r.Detail = desc + ": enough for the " + human(want) + " UDP buffers rtchat asks for"
		return r
	}
	r.Status = StatusWarn
	r.Detail = desc + ": below the " + human(want) + " rtchat asks for; 'rtchat pipe' will drop packets and slow down"
	r.Fix = "run: " + UDPBufferFix + " ; to keep it after a reboot: " +
		"printf 'net.core.rmem_max=4194304\\nnet.core.wmem_max=4194304\\n' | sudo tee /etc/sysctl.d/60-rtchat.conf"
	return r
}

func human(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.Itoa(n>>20) + " MiB"
	case n >= 1<<10:
		return strconv.Itoa(n>>10) + " KiB"
	}
	return strconv.Itoa(n) + " B"
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// configDirArg is " --config-dir DIR" for fix lines when dir is not the default one.
func configDirArg(dir string) string {
	if def, err := os.UserConfigDir(); err == nil && dir == def+string(os.PathSeparator)+"rtchat" {
		return ""
	}
	return " --config-dir " + shellQuote(dir)
}

// shellQuote quotes s for a copy-pasted shell line when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._-+:=@,%", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
