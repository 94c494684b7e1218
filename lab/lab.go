// Package lab builds a small internet out of Linux network namespaces, for tests and
// benchmarks that must cross real NATs, real TURN servers and shaped links:
//
//	home A                       "internet"                        home B
//	host a1 ─┐                 ┌────────────────┐                 ┌─ host b1
//	host a2 ─┴ br0 router A ══ │ broker, coturn │ ══ router B br0 ┴─ host b2
//	192.168.1.0/24  NAT+filter │ 198.51.100.1/.2│ NAT+filter  192.168.1.0/24
//	                           └────────────────┘
//
// Both homes use the same private range. Each router masquerades its LAN behind its
// public address with nftables, either endpoint-independent ("cone": Linux keeps the source
// port) or symmetric (`fully-random`: a random port for every new destination), and drops
// unsolicited inbound packets as home routers do (only conntrack's established/related
// pass). The access link of a home (router ⇄ internet) can be shaped: a rate with tbf on
// both directions, random loss with nftables `numgen random` on the router, and a fixed
// delay with a TUN delay line (labtool delayline: the kernel has no sch_netem). A home can
// block outgoing UDP (only TCP leaves), suffer an outage (every packet through its router
// dropped) or lose its NAT mappings (conntrack -F).
//
// Everything runs as root. Every namespace is named rtlab-PID-N-…, so Start removes what
// a killed test run left behind (its PID is gone) and Close removes the rest.
package lab

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// NAT is how a home router maps its LAN to its public address.
type NAT string

const (
	// Cone maps a LAN socket to one public port for every destination
	// (endpoint-independent mapping; the filtering is address- and port-dependent).
	Cone NAT = "cone"
	// Symmetric maps every new destination to a new random public port (fully-random).
	Symmetric NAT = "symmetric"
)

// Public addresses in the internet namespace.
const (
	ServerIP  = "198.51.100.1" // broker, STUN/TURN
	ServerIP2 = "198.51.100.2" // the second STUN address (NAT type detection)
	// BrokerURL is the broker every lab host uses.
	BrokerURL = "mqtt://" + ServerIP + ":1883"
	// TURN credentials of the lab's coturn.
	TURNUser, TURNPass  = "lab", "labpass"
	TURNPort, TURNSPort = 3478, 5349
	// LANPrefix: every home's LAN; hosts are .10, .11, …; the router is .1.
	LANPrefix = "192.168.1."
)

// Link shapes a home's access link (router ⇄ internet), in each direction.
type Link struct {
	Delay time.Duration // one-way delay each direction (0: a plain veth, no delay line)
	Rate  string        // tbf rate, e.g. "100mbit" ("": unlimited)
	Loss  float64       // percent of packets the router drops, each direction
}

// Home is one home network: a router and its hosts.
type Home struct {
	Name     string // short: a, b
	NAT      NAT
	Hosts    int  // hosts on the LAN (default 1)
	BlockUDP bool // the router lets no UDP out (TURN over TCP/TLS only)
	// TCPRandom: the router maps each TCP connection to a random public port (symmetric
	// for TCP) while UDP stays as NAT says: ICE gets through a Cone, TCP hole punching does not.
	TCPRandom bool
	Link      Link
}

// Config describes a lab.
type Config struct {
	Homes []Home
	// Tool is the labtool binary (needed for delays and the TCP baseline).
	Tool string
	// Dir holds logs and generated files (a test's TempDir).
	Dir string
	// Logf receives one line per step (t.Logf); nil discards.
	Logf func(format string, args ...any)
}

// Lab is a running lab. Close it.
type Lab struct {
	cfg    Config
	prefix string
	inet   string
	homes  map[string]*home
	nss    []string

	mu    sync.Mutex
	procs []*Proc
}

type home struct {
	Home
	index  int
	router string
	hosts  []string
	public string // the router's public address
	peer   string // the internet side of the access link
	moves  int    // ChangeHostAddress calls (each picks a new address)
}

var labSeq atomic.Int64

// Start builds the namespaces, links, NAT and shaping. On error everything made so far is
// removed.
func Start(ctx context.Context, cfg Config) (_ *Lab, err error) {
	if os.Geteuid() != 0 {
		return nil, errors.New("the network lab needs root (network namespaces, nftables)")
	}
	for _, tool := range []string{"ip", "nft", "tc"} {
		if _, err := exec.LookPath(tool); err != nil {
			return nil, fmt.Errorf("the network lab needs %s: apt-get install iproute2 nftables (see .ci/run): %w", tool, err)
		}
	}
	sweep()
	l := &Lab{cfg: cfg, prefix: fmt.Sprintf("rtlab-%d-%d", os.Getpid(), labSeq.Add(1)), homes: map[string]*home{}}
	defer func() {
		if err != nil {
			l.Close()
		}
	}()
	l.inet = l.ns("inet")
	if err := l.addNS(ctx, l.inet); err != nil {
		return nil, err
	}
	inet := [][]string{
		// The servers' addresses live on lo (this kernel has no dummy devices).
		{"ip", "addr", "add", ServerIP + "/32", "dev", "lo"},
		{"ip", "addr", "add", ServerIP2 + "/32", "dev", "lo"},
		{"sysctl", "-qw", "net.ipv4.ip_forward=1"},
		// The rest of the internet: a default route into a sink, so that packets to
		// addresses nobody here has (a peer's private host candidate relayed by coturn)
		// leave and vanish as they would upstream of a real server, instead of failing
		// with ENETUNREACH at the sender. Without it coturn 4.6 tears an allocation down
		// at the first relayed packet to such an address (docs/network.md).
		{"ip", "link", "add", "upstream", "type", "veth", "peer", "name", "sink"},
		{"ip", "addr", "add", "100.127.255.1/30", "dev", "upstream"},
		{"ip", "link", "set", "upstream", "up"},
		{"ip", "link", "set", "sink", "up"},
		{"ip", "neigh", "add", "100.127.255.2", "lladdr", "02:00:00:00:00:02", "dev", "upstream", "nud", "permanent"},
		{"ip", "route", "add", "default", "via", "100.127.255.2"},
	}
	if err := l.runAll(ctx, l.inet, inet); err != nil {
		return nil, err
	}
	for i, hc := range cfg.Homes {
		if hc.Hosts <= 0 {
			hc.Hosts = 1
		}
		if hc.NAT == "" {
			hc.NAT = Cone
		}
		h := &home{Home: hc, index: i + 1, router: l.ns("r" + hc.Name),
			public: fmt.Sprintf("203.0.113.%d", 4*(i+1)+2), peer: fmt.Sprintf("203.0.113.%d", 4*(i+1)+1)}
		l.homes[hc.Name] = h
		if err := l.buildHome(ctx, h); err != nil {
			return nil, fmt.Errorf("home %s: %w", hc.Name, err)
		}
	}
	return l, nil
}

func (l *Lab) ns(name string) string { return l.prefix + "-" + name }

func (l *Lab) logf(format string, args ...any) {
	if l.cfg.Logf != nil {
		l.cfg.Logf(format, args...)
	}
}

func (l *Lab) addNS(ctx context.Context, name string) error {
	if err := run(ctx, "", "ip", "netns", "add", name); err != nil {
		return err
	}
	l.nss = append(l.nss, name)
	return run(ctx, name, "ip", "link", "set", "lo", "up")
}

func (l *Lab) runAll(ctx context.Context, ns string, cmds [][]string) error {
	for _, c := range cmds {
		if err := run(ctx, ns, c[0], c[1:]...); err != nil {
			return err
		}
	}
	return nil
}

func (l *Lab) buildHome(ctx context.Context, h *home) error {
	r := h.router
	if err := l.addNS(ctx, r); err != nil {
		return err
	}
	if err := l.runAll(ctx, r, [][]string{
		{"sysctl", "-qw", "net.ipv4.ip_forward=1"},
		{"ip", "link", "add", "br0", "type", "bridge"},
		{"ip", "addr", "add", LANPrefix + "1/24", "dev", "br0"},
		{"ip", "link", "set", "br0", "up"},
	}); err != nil {
		return err
	}
	for j := 0; j < h.Hosts; j++ {
		host := l.ns(fmt.Sprintf("h%s%d", h.Name, j+1))
		if err := l.addNS(ctx, host); err != nil {
			return err
		}
		port := fmt.Sprintf("lan%d", j+1)
		if err := run(ctx, "", "ip", "link", "add", "eth0", "netns", host, "type", "veth", "peer", "name", port, "netns", r); err != nil {
			return err
		}
		ip := fmt.Sprintf("%s%d", LANPrefix, 10+j)
		if err := l.runAll(ctx, host, [][]string{
			// The host's IPv6 link-local address stays "tentative" (duplicate address
			// detection never finishes) for the whole run, as right after a network comes
			// up: it is listed but cannot be bound. rtchat must cope (iceconf.bindable);
			// before it did, a fresh peer failed to build its connection and never answered.
			{"sysctl", "-qw", "net.ipv6.conf.eth0.dad_transmits=1"},
			{"sysctl", "-qw", "net.ipv6.neigh.eth0.retrans_time_ms=3600000"},
			// No TCP segmentation offload: TCP would hand 64 KB super-packets to the
			// router, whose loss rule would then drop 45 segments at a time, 45 times less
			// often per byte than the single UDP datagrams of WebRTC.
			{"ip", "link", "set", "eth0", "gso_max_segs", "1", "gso_max_size", "1500"},
			{"ip", "addr", "add", ip + "/24", "dev", "eth0"},
			{"ip", "link", "set", "eth0", "up"},
			{"ip", "route", "add", "default", "via", LANPrefix + "1"},
		}); err != nil {
			return err
		}
		if err := l.runAll(ctx, r, [][]string{
			{"ip", "link", "set", port, "master", "br0"},
			{"ip", "link", "set", port, "up"},
		}); err != nil {
			return err
		}
		h.hosts = append(h.hosts, host)
	}
	// The access link: router "wan0" ⇄ internet "home<i>".
	inetIf := fmt.Sprintf("home%d", h.index)
	if h.Link.Delay > 0 {
		if l.cfg.Tool == "" {
			return errors.New("a delayed link needs Config.Tool (labtool)")
		}
		p, err := l.StartProc(ctx, "", l.cfg.Tool, "delayline", "-a", r+":wan0", "-b", l.inet+":"+inetIf, "-delay", h.Link.Delay.String())
		if err != nil {
			return err
		}
		if err := p.WaitOutput(ctx, "ready"); err != nil {
			return fmt.Errorf("delay line: %w", err)
		}
	} else {
		if err := run(ctx, "", "ip", "link", "add", "wan0", "netns", r, "type", "veth", "peer", "name", inetIf, "netns", l.inet); err != nil {
			return err
		}
	}
	if h.Link.Delay > 0 {
		// The TUN devices' queues hold 500 packets by default: bursts that the delay line
		// has not read yet would drop there, a loss no real link adds. 10,000 packets
		// (15 MB) keep the loss to what tbf and the loss rule decide.
		for _, dev := range [][2]string{{r, "wan0"}, {l.inet, inetIf}} {
			if err := run(ctx, dev[0], "ip", "link", "set", dev[1], "txqueuelen", "10000"); err != nil {
				return err
			}
		}
	}
	if err := l.runAll(ctx, r, [][]string{
		{"ip", "addr", "add", h.public, "peer", h.peer, "dev", "wan0"},
		{"ip", "link", "set", "wan0", "up"},
		{"ip", "route", "add", "default", "via", h.peer},
	}); err != nil {
		return err
	}
	if err := l.runAll(ctx, l.inet, [][]string{
		{"ip", "addr", "add", h.peer, "peer", h.public, "dev", inetIf},
		{"ip", "link", "set", inetIf, "up"},
	}); err != nil {
		return err
	}
	if err := nft(ctx, r, h.ruleset()); err != nil {
		return err
	}
	if rate := h.Link.Rate; rate != "" {
		// Upload on wan0, download on the LAN bridge. The queue holds about 50 ms at that
		// rate (a home router's buffer), at least 64 KiB.
		for _, dev := range []string{"wan0", "br0"} {
			if err := run(ctx, r, "tc", "qdisc", "replace", "dev", dev, "root", "tbf", "rate", rate,
				"burst", "32kb", "latency", "50ms"); err != nil {
				return err
			}
		}
	}
	l.logf("lab: home %s: %s NAT (tcp random %v), public %s, hosts %v, link %+v, udp blocked %v", h.Name, h.NAT, h.TCPRandom, h.public, h.hosts, h.Link, h.BlockUDP)
	return nil
}

// ruleset is the router's nftables configuration.
func (h *home) ruleset() string {
	var b strings.Builder
	masq := "masquerade"
	if h.NAT == Symmetric {
		masq = "masquerade fully-random"
	}
	if h.TCPRandom {
		masq = "meta l4proto tcp masquerade fully-random\n  oifname \"wan0\" " + masq
	}
	fmt.Fprintf(&b, "table ip labnat {\n chain post {\n  type nat hook postrouting priority srcnat; policy accept;\n  oifname \"wan0\" %s\n }\n chain pre {\n  type nat hook prerouting priority dstnat; policy accept;\n }\n}\n", masq)
	b.WriteString("table inet labfilter {\n chain fw {\n  type filter hook forward priority filter; policy drop;\n")
	if h.Link.Loss > 0 {
		// Per-mille resolution in 1/10000 steps: 0.5 % drops 50 of every 10,000.
		fmt.Fprintf(&b, "  numgen random mod 10000 < %d counter drop\n", int(h.Link.Loss*100+0.5))
	}
	b.WriteString("  ct state established,related accept\n  ct status dnat accept\n")
	// Traffic between two hosts of the LAN is switched by br0; with br_netfilter it still
	// passes this hook, as br0 in and out. A home router does not filter it.
	b.WriteString("  iifname \"br0\" oifname \"br0\" accept\n")
	if h.BlockUDP {
		b.WriteString("  iifname \"br0\" meta l4proto udp counter drop\n")
	}
	b.WriteString("  iifname \"br0\" oifname \"wan0\" accept\n  counter drop\n }\n")
	b.WriteString(" chain inp {\n  type filter hook input priority filter; policy accept;\n  iifname \"wan0\" ct state established,related accept\n  iifname \"wan0\" drop\n }\n}\n")
	// The outage switch: Outage inserts a drop rule here.
	b.WriteString("table inet laboutage {\n chain fw {\n  type filter hook forward priority -50; policy accept;\n }\n}\n")
	return b.String()
}

// Host is the namespace of host i (0-based) of a home.
func (l *Lab) Host(homeName string, i int) string { return l.homes[homeName].hosts[i] }

// Router is a home's router namespace.
func (l *Lab) Router(homeName string) string { return l.homes[homeName].router }

// Inet is the internet namespace (broker, coturn).
func (l *Lab) Inet() string { return l.inet }

// Public is a home's public address.
func (l *Lab) Public(homeName string) string { return l.homes[homeName].public }

// HostIP is the LAN address of host i of a home.
func HostIP(i int) string { return fmt.Sprintf("%s%d", LANPrefix, 10+i) }

// Outage drops every packet through a home's router (on) or lets them pass again (off).
// Conntrack entries, and so the NAT mappings, survive, as they do when a link goes down.
func (l *Lab) Outage(ctx context.Context, homeName string, on bool) error {
	r := l.homes[homeName].router
	if on {
		return run(ctx, r, "nft", "add", "rule", "inet", "laboutage", "fw", "counter", "drop")
	}
	return run(ctx, r, "nft", "flush", "chain", "inet", "laboutage", "fw")
}

// FlushNAT forgets every NAT mapping of a home's router (conntrack -F), as a router reboot
// or a mapping timeout would: the next packets get new public ports.
func (l *Lab) FlushNAT(ctx context.Context, homeName string) error {
	return run(ctx, l.homes[homeName].router, "conntrack", "-F")
}

// ChangeHostAddress moves host i of a home to a new LAN address, as a laptop that gets a
// new DHCP lease does: the new address is added, the old one deleted (its sockets can no
// longer send) and the default route, which the kernel drops with the old address, put
// back. The new address is in the LAN prefix, which the router masquerades without naming
// host addresses. It returns the new address.
func (l *Lab) ChangeHostAddress(ctx context.Context, homeName string, i int) (string, error) {
	h := l.homes[homeName]
	host := h.hosts[i]
	// Above every host's address (.10, .11, …), and a new one at every call.
	h.moves++
	newIP := fmt.Sprintf("%s%d", LANPrefix, 100+10*i+h.moves)
	out, err := output(ctx, host, "ip", "-4", "-o", "addr", "show", "dev", "eth0")
	if err != nil {
		return "", err
	}
	var old []string
	for _, f := range strings.Fields(out) {
		if strings.HasPrefix(f, LANPrefix) && strings.Contains(f, "/") {
			old = append(old, f)
		}
	}
	cmds := [][]string{
		// Without promotion, deleting the primary address deletes the new (secondary) one
		// with it; systemd turns it on on a real laptop.
		{"sysctl", "-qw", "net.ipv4.conf.eth0.promote_secondaries=1"},
		{"ip", "addr", "add", newIP + "/24", "dev", "eth0"},
	}
	for _, a := range old {
		cmds = append(cmds, []string{"ip", "addr", "del", a, "dev", "eth0"})
	}
	// The kernel may drop the default route with the old address: put it back (replace
	// works whether it is gone or not).
	cmds = append(cmds, []string{"ip", "route", "replace", "default", "via", LANPrefix + "1", "dev", "eth0"})
	if err := l.runAll(ctx, host, cmds); err != nil {
		return "", fmt.Errorf("host %s to %s: %w", host, newIP, err)
	}
	l.logf("lab: host %s: address %v → %s", host, old, newIP)
	return newIP, nil
}

// ForwardTCP makes a home's router forward TCP port to host i (for baselines that need an
// inbound connection).
func (l *Lab) ForwardTCP(ctx context.Context, homeName string, i, port int) error {
	h := l.homes[homeName]
	return run(ctx, h.router, "nft", "add", "rule", "ip", "labnat", "pre", "iifname", "wan0", "tcp", "dport", strconv.Itoa(port),
		"dnat", "to", HostIP(i))
}

// Counters returns the router's nftables counters (drops by loss, blocked UDP, outage,
// unsolicited), for test logs.
func (l *Lab) Counters(ctx context.Context, homeName string) string {
	out, _ := output(ctx, l.homes[homeName].router, "nft", "list", "ruleset")
	var lines []string
	for _, s := range strings.Split(out, "\n") {
		if strings.Contains(s, "counter") {
			lines = append(lines, strings.TrimSpace(s))
		}
	}
	return strings.Join(lines, "; ")
}

// Close stops every process and removes every namespace. Safe to call twice.
func (l *Lab) Close() {
	l.mu.Lock()
	procs := l.procs
	l.procs = nil
	l.mu.Unlock()
	for i := len(procs) - 1; i >= 0; i-- {
		procs[i].Kill()
	}
	for i := len(l.nss) - 1; i >= 0; i-- {
		_ = run(context.Background(), "", "ip", "netns", "del", l.nss[i])
	}
	l.nss = nil
}

// sweep removes namespaces of lab runs whose process is gone.
func sweep() {
	entries, _ := os.ReadDir("/var/run/netns")
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), "rtlab-")
		if !ok {
			continue
		}
		pidStr, _, _ := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidStr)
		if err != nil || pid == os.Getpid() {
			continue
		}
		if syscall.Kill(pid, 0) == nil {
			continue // still running
		}
		// Processes still inside (a coturn left behind) die with SIGKILL first.
		if out, err := exec.Command("ip", "netns", "pids", e.Name()).Output(); err == nil {
			for _, f := range strings.Fields(string(out)) {
				if p, err := strconv.Atoi(f); err == nil {
					_ = syscall.Kill(p, syscall.SIGKILL)
				}
			}
		}
		_ = exec.Command("ip", "netns", "del", e.Name()).Run()
	}
}

// ---- commands ----

// Command runs name in namespace ns (the root namespace when ns is "").
func Command(ctx context.Context, ns, name string, args ...string) *exec.Cmd {
	if ns == "" {
		return exec.CommandContext(ctx, name, args...)
	}
	return exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", ns, name}, args...)...)
}

func run(ctx context.Context, ns, name string, args ...string) error {
	_, err := output(ctx, ns, name, args...)
	return err
}

func output(ctx context.Context, ns, name string, args ...string) (string, error) {
	cmd := Command(ctx, ns, name, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("%s %s (netns %q): %w: %s", name, strings.Join(args, " "), ns, err, strings.TrimSpace(errb.String()))
	}
	return out.String(), nil
}

func nft(ctx context.Context, ns, ruleset string) error {
	cmd := Command(ctx, ns, "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(ruleset)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("nft -f in %s: %w: %s\n%s", ns, err, out, ruleset)
	}
	return nil
}

// Output runs a command in a namespace and returns its stdout.
func (l *Lab) Output(ctx context.Context, ns, name string, args ...string) (string, error) {
	return output(ctx, ns, name, args...)
}

// ---- background processes ----

// Proc is a process the lab started; the lab kills it on Close.
type Proc struct {
	Cmd    *exec.Cmd
	Stdout *Buffer
	Stderr *Buffer
	done   chan struct{}
	err    error
}

// StartProc starts a background process in a namespace with stdout and stderr captured.
func (l *Lab) StartProc(ctx context.Context, ns, name string, args ...string) (*Proc, error) {
	return l.StartProcWith(ctx, ns, nil, name, args...)
}

// StartProcWith is StartProc with a setup function for the command (stdin, env).
func (l *Lab) StartProcWith(ctx context.Context, ns string, setup func(*exec.Cmd), name string, args ...string) (*Proc, error) {
	cmd := Command(context.Background(), ns, name, args...)
	p := &Proc{Cmd: cmd, Stdout: NewBuffer(), Stderr: NewBuffer(), done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.Stdout, p.Stderr
	// Its own process group (Kill signals the group); killed with the test process if that
	// dies without cleaning up (the delay lines run in the root namespace, where the
	// namespace sweep of the next run cannot find them).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if setup != nil {
		setup(cmd)
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		p.err = cmd.Wait()
		p.Stdout.Close()
		p.Stderr.Close()
		close(p.done)
	}()
	l.mu.Lock()
	l.procs = append(l.procs, p)
	l.mu.Unlock()
	return p, nil
}

// Done is closed when the process exited.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Wait waits for the exit (or ctx) and returns the exit code (-1: killed or not ended).
func (p *Proc) Wait(ctx context.Context) (int, error) {
	select {
	case <-p.done:
	case <-ctx.Done():
		return -1, fmt.Errorf("still running: %w", ctx.Err())
	}
	if p.err == nil {
		return 0, nil
	}
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		return ee.ExitCode(), nil
	}
	return -1, p.err
}

// Signal sends sig to the process group (ip netns exec execs the command, so the group is
// the command's).
func (p *Proc) Signal(sig syscall.Signal) error {
	return syscall.Kill(-p.Cmd.Process.Pid, sig)
}

// Kill ends the process group (SIGTERM, then SIGKILL after 2 s) and waits.
func (p *Proc) Kill() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.Signal(syscall.SIGCONT)
	_ = p.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(2 * time.Second):
		_ = p.Signal(syscall.SIGKILL)
		<-p.done
	}
}

// WaitOutput waits until stdout or stderr contains s (or the process ends, or ctx).
func (p *Proc) WaitOutput(ctx context.Context, s string) error {
	errCh := make(chan error, 2)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() { errCh <- p.Stdout.WaitFor(ctx, s) }()
	go func() { errCh <- p.Stderr.WaitFor(ctx, s) }()
	err1 := <-errCh
	if err1 == nil {
		return nil
	}
	if err2 := <-errCh; err2 == nil {
		return nil
	}
	return fmt.Errorf("%w\nstdout: %s\nstderr: %s", err1, tail(p.Stdout.String()), tail(p.Stderr.String()))
}

func tail(s string) string {
	if len(s) > 2000 {
		return "…" + s[len(s)-2000:]
	}
	return s
}

// Buffer collects a process's output and lets a test wait for a string in it.
type Buffer struct {
	mu     sync.Mutex
	cond   *sync.Cond
	buf    bytes.Buffer
	closed bool
}

// NewBuffer makes an empty Buffer.
func NewBuffer() *Buffer {
	b := &Buffer{}
	b.cond = sync.NewCond(&b.mu)
	return b
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n, err := b.buf.Write(p)
	b.cond.Broadcast()
	return n, err
}

// Close marks the end of the output.
func (b *Buffer) Close() {
	b.mu.Lock()
	b.closed = true
	b.cond.Broadcast()
	b.mu.Unlock()
}

func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// WaitFor blocks until the output contains s, the output ended, or ctx ended.
func (b *Buffer) WaitFor(ctx context.Context, s string) error {
	stop := context.AfterFunc(ctx, func() { b.mu.Lock(); b.cond.Broadcast(); b.mu.Unlock() })
	defer stop()
	b.mu.Lock()
	defer b.mu.Unlock()
	for !bytes.Contains(b.buf.Bytes(), []byte(s)) {
		if b.closed {
			return fmt.Errorf("output ended before %q", s)
		}
		if ctx.Err() != nil {
			return fmt.Errorf("waiting for %q: %w", s, ctx.Err())
		}
		b.cond.Wait()
	}
	return nil
}

// WriteFile writes a file into the lab's directory and returns its path.
func (l *Lab) WriteFile(name string, data []byte) (string, error) {
	p := filepath.Join(l.cfg.Dir, name)
	return p, os.WriteFile(p, data, 0o600)
}

// Capture runs tcpdump on an interface of a namespace ("any" for all) into file until the
// lab closes: a debugging aid (RTCHAT_LAB_PCAP=DIR in the lab tests). It needs tcpdump.
func (l *Lab) Capture(ctx context.Context, ns, iface, file string) error {
	p, err := l.StartProc(ctx, ns, "tcpdump", "-i", iface, "-n", "-U", "-s", "256", "-w", file)
	if err != nil {
		return err
	}
	return p.WaitOutput(ctx, "listening on")
}

// LinkStats is `ip -s link` and `tc -s qdisc` of a home's access link on both ends, for
// benchmark logs (drops at the TUN queue or tbf show up here).
func (l *Lab) LinkStats(ctx context.Context, homeName string) string {
	h := l.homes[homeName]
	a, _ := output(ctx, h.router, "ip", "-s", "link", "show", "wan0")
	q, _ := output(ctx, h.router, "tc", "-s", "qdisc", "show", "dev", "wan0")
	b, _ := output(ctx, l.inet, "ip", "-s", "link", "show", fmt.Sprintf("home%d", h.index))
	var udp []string
	for _, host := range h.hosts {
		snmp, _ := output(ctx, host, "cat", "/proc/net/snmp")
		var lines []string
		for _, line := range strings.Split(snmp, "\n") {
			if strings.HasPrefix(line, "Udp:") {
				lines = append(lines, line)
			}
		}
		udp = append(udp, host+": "+strings.Join(lines, " | "))
	}
	return "router " + h.router + ":\n" + a + q + "internet side:\n" + b + strings.Join(udp, "\n")
}
