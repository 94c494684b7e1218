package commands

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/rtchat/rtchat/rtc/broker"
)

// DefaultBrokerListen is where 'rtchat broker' listens for MQTT over TCP by default.
const DefaultBrokerListen = "127.0.0.1:1883"

func newBrokerCmd(g *Globals, ios *IO) *cobra.Command {
	var (
		listen, ws, authFile string
		topics               []string
		lim                  = broker.Limits{
			MaxPacket:      broker.MaxPacket,
			MaxClients:     broker.DefaultMaxClients,
			MaxQueue:       broker.DefaultMaxQueue,
			ConnectTimeout: broker.DefaultConnectTimeout,
		}
	)
	cmd := &cobra.Command{
		Use:   "broker [--listen ADDR] [--ws ADDR] [--auth FILE]",
		Short: "Run a small MQTT broker to self-host signaling (this machine or a LAN)",
		Long: `broker runs an embedded MQTT broker, so that rtchat peers (and RTChat web pages) can find
each other without a public broker: on one machine, on a LAN, or offline.

The broker only relays signaling (announcements, offers, answers, ICE candidates); chat and
data then flow directly between peers over WebRTC, end-to-end encrypted.

--listen ADDR   MQTT over TCP (mqtt://), default 127.0.0.1:1883: this machine only.
                Use 0.0.0.0:1883 for the LAN, port 0 for any free port, "" for none.
--ws ADDR       also MQTT over WebSocket (ws://ADDR/mqtt), for web pages; off by default.

Who can use it. Without --auth, anyone who can reach the port may connect. With --listen
0.0.0.0 (or --ws on an address other than 127.0.0.1) that includes every LAN neighbour, who
can then:
  - read every message on the room topics: peer names, public keys, IP addresses (ICE
    candidates) and who connects to whom. The data channels stay end-to-end encrypted and
    peers prove their keys, so chat and piped data stay private and cannot be faked;
  - publish forged signaling (fake presence, offers, answers) to disturb connections;
  - use the broker for their own traffic, within the topics and limits below.
--auth FILE admits only the users listed in FILE (MQTT user name and password): others
can then do none of this, but each listed user still can. There is no TLS: passwords and
messages cross the network in clear text.

--auth FILE     lines "user:bcrypt-hash", as 'htpasswd -nbB USER PASS' or
                'rtchat broker passwd USER' print them; # comments and blank lines are
                fine. Clients connect with --broker mqtt://USER:PASS@HOST:PORT
                (percent-encode special characters in PASS, e.g. %40 for @).
--topics LIST   comma-separated MQTT filters clients may publish and subscribe within;
                default mrtchat/# (the rooms). Other topics are refused.

Limits keep any one client from exhausting the broker:
--max-packet SIZE      largest MQTT packet (272KiB: 256 KiB signaling plus headers); a
                       client sending a larger one is disconnected
--max-queue SIZE       messages waiting for one client that does not read them (2MiB);
                       what does not fit is dropped for that client only
--max-clients N        concurrent connections, logged in or not (128); a quarter is kept
                       for logged-in clients, and a new connection pushes out the oldest
                       one that has not logged in
--max-retained N       topics that may keep a retained message (0: retain off; rtchat
                       never retains)
--connect-timeout DUR  a connection that sends no CONNECT in time is closed (10s)
Refused logins, topics and connections, and dropped messages are logged with -v.

It prints its URLs on stderr (with --json also {"type":"listening","urls":[...]} on stdout)
and runs until stopped: SIGTERM exits 0, Ctrl-C 130 (the shell's convention). Point the other commands at it
with --broker URL or RTCHAT_BROKER=URL; every rtchat and web page must use the same broker
and the same --room.`,
		Example: `  # one machine: a broker, a listener and a sender
  rtchat broker &
  RTCHAT_BROKER=mqtt://127.0.0.1:1883 rtchat listen
  RTCHAT_BROKER=mqtt://127.0.0.1:1883 rtchat send alice hello

  # a LAN, with passwords: TCP for rtchat, WebSocket for browsers
  # (HOST = this machine's LAN address)
  rtchat broker passwd alice >> users               # asks for alice's password
  rtchat broker --listen 0.0.0.0:1883 --ws 0.0.0.0:8083 --auth users
  rtchat --broker mqtt://alice:PASS@HOST:1883 listen      # on another machine
  rtchat --broker ws://alice:PASS@HOST:8083/mqtt listen   # the same, over WebSocket

  # scripts: pick free ports and read them back
  rtchat broker --listen 127.0.0.1:0 --json | jq -r '.urls[0]'`,
		Args:        cobra.NoArgs,
		Annotations: map[string]string{annotStopsOnSignal: "true"},
		RunE: func(cmd *cobra.Command, args []string) error {
			listen, ws = strings.TrimSpace(listen), strings.TrimSpace(ws)
			if listen == "" && ws == "" {
				return usageErrorf("nothing to listen on: give --listen ADDR and/or --ws ADDR")
			}
			for flag, addr := range map[string]string{"--listen": listen, "--ws": ws} {
				if err := checkListenAddr(addr); err != nil {
					return usageErrorf("invalid %s %q: %v (want HOST:PORT, e.g. 127.0.0.1:1883 or 0.0.0.0:8083)", flag, addr, err)
				}
			}
			if !cmd.Flags().Changed("max-queue") {
				lim.MaxQueue = 0 // the default, raised to fit a larger --max-packet
			}
			o := broker.Options{TCP: listen, WS: ws, Logger: g.Log, Topics: topics, Limits: lim}
			if len(o.Topics) == 0 {
				return usageErrorf("invalid --topics: give at least one pattern, e.g. mrtchat/#")
			}
			if o.Limits.MaxClients <= 0 {
				return usageErrorf("invalid --max-clients %d: want at least 1", o.Limits.MaxClients)
			}
			if o.Limits.ConnectTimeout <= 0 {
				return usageErrorf("invalid --connect-timeout %v: want a positive duration, e.g. 10s", o.Limits.ConnectTimeout)
			}
			if authFile != "" {
				users, err := broker.LoadUsers(authFile)
				if err != nil {
					return usageErrorf("invalid --auth: %w", err)
				}
				o.Users = users
			}
			ctx := cmd.Context()
			b, err := broker.Start(ctx, o)
			if err != nil {
				if errors.Is(err, broker.ErrBadOptions) {
					return usageErrorf("%w", err)
				}
				return err
			}
			defer b.Close()

			if g.JSON {
				if err := writeJSON(ios.Out, struct {
					Type string   `json:"type"`
					URLs []string `json:"urls"`
				}{"listening", b.URLs()}); err != nil {
					return err
				}
			}
			printBrokerBanner(ios, b, o.Users.Len())
			<-ctx.Done()
			if g.Verbose {
				fmt.Fprintln(ios.Err, "rtchat broker: stopping")
			}
			return b.Close()
		},
	}
	f := cmd.Flags()
	f.StringVar(&listen, "listen", DefaultBrokerListen, `MQTT over TCP on HOST:PORT (0.0.0.0 = every interface, port 0 = any free port, "" = none)`)
	f.StringVar(&ws, "ws", "", "also MQTT over WebSocket on HOST:PORT, path /mqtt, for web pages (e.g. 0.0.0.0:8083)")
	f.StringVar(&authFile, "auth", "", "admit only the users in `FILE` (lines user:bcrypt-hash, see 'rtchat broker passwd'); without it anyone who reaches the port may connect")
	f.StringSliceVar(&topics, "topics", broker.DefaultTopics(), "`LIST` of comma-separated MQTT filters that clients may publish and subscribe within")
	f.Var((*byteSize)(&lim.MaxPacket), "max-packet", "largest MQTT packet accepted, e.g. 272KiB; a client sending a larger one is disconnected")
	f.Var((*byteSize)(&lim.MaxQueue), "max-queue", "bytes of messages that may wait for one client, e.g. 2MiB; what does not fit is dropped for that client")
	f.IntVar(&lim.MaxClients, "max-clients", lim.MaxClients, "`N` concurrent connections at most, including those that have not logged in yet")
	f.IntVar(&lim.MaxRetained, "max-retained", 0, "`N` topics at most may keep a retained message (0 = retained messages off)")
	durationVar(f, &lim.ConnectTimeout, "connect-timeout", lim.ConnectTimeout, "close connections that send no MQTT CONNECT within this time")
	cmd.AddCommand(newBrokerPasswdCmd(ios))
	return cmd
}

func newBrokerPasswdCmd(ios *IO) *cobra.Command {
	return &cobra.Command{
		Use:   "passwd USER",
		Short: "Print a password file line for 'rtchat broker --auth FILE'",
		Long: `passwd reads a password from stdin (the first line; on a terminal it asks, without echo)
and prints "USER:HASH" on stdout: a line for the file of 'rtchat broker --auth FILE'. HASH
is bcrypt, the format of 'htpasswd -nbB USER PASSWORD', so either tool can make the file.
Passwords are 1 to 72 bytes.`,
		Example: `  echo 'correct-horse-battery' | rtchat broker passwd alice >> users
  rtchat broker passwd bob >> users        # asks for the password
  rtchat broker --listen 0.0.0.0:1883 --auth users`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			pw, err := readPassword(ios, args[0])
			if err != nil {
				return err
			}
			line, err := broker.HashPassword(args[0], pw)
			if err != nil {
				return usageErrorf("%w", err)
			}
			_, err = fmt.Fprintln(ios.Out, line)
			return err
		},
	}
}

// readPassword reads one line from stdin, without echo when stdin is a terminal.
func readPassword(ios *IO, user string) ([]byte, error) {
	if f, ok := ios.In.(*os.File); ok && ios.InTTY {
		fmt.Fprintf(ios.Err, "Password for %s: ", user)
		pw, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(ios.Err)
		if err != nil {
			return nil, fmt.Errorf("read password: %w", err)
		}
		return pw, nil
	}
	line, err := bufio.NewReaderSize(io.LimitReader(ios.In, 4096), 4096).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read password from stdin: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return nil, usageErrorf("no password on stdin: give it as the first line, e.g. echo 'PASSWORD' | rtchat broker passwd %s", user)
	}
	return []byte(line), nil
}

// byteSize is a flag of bytes: 4096, 272KiB, 1MiB (also K/KB/M/MB, as powers of 1024).
type byteSize int

func (b *byteSize) String() string {
	switch n := int(*b); {
	case n > 0 && n%(1<<20) == 0:
		return strconv.Itoa(n>>20) + "MiB"
	case n > 0 && n%(1<<10) == 0:
		return strconv.Itoa(n>>10) + "KiB"
	default:
		return strconv.Itoa(n)
	}
}

func (b *byteSize) Set(s string) error {
	num, mult := strings.TrimSpace(s), 1
	up := strings.ToUpper(num)
	for _, u := range []struct {
		suffix string
		mult   int
	}{{"MIB", 1 << 20}, {"MB", 1 << 20}, {"M", 1 << 20}, {"KIB", 1 << 10}, {"KB", 1 << 10}, {"K", 1 << 10}, {"B", 1}} {
		if strings.HasSuffix(up, u.suffix) {
			num, mult = strings.TrimSpace(num[:len(num)-len(u.suffix)]), u.mult
			break
		}
	}
	n, err := strconv.Atoi(num)
	if err != nil || n <= 0 || n > (1<<30)/mult {
		return errors.New("want a positive size in bytes, e.g. 4096, 272KiB or 1MiB")
	}
	*b = byteSize(n * mult)
	return nil
}

func (b *byteSize) Type() string { return "SIZE" }

func checkListenAddr(addr string) error {
	if addr == "" {
		return nil
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("bad port %q", port)
	}
	return nil
}

// printBrokerBanner tells the user, on stderr, where the broker is and how to use it.
func printBrokerBanner(ios *IO, b *broker.Broker, users int) {
	var local []string
	type l struct{ scheme, addr, path, what string }
	for _, x := range []l{{"mqtt", b.TCPAddr(), "", ""}, {"ws", b.WSAddr(), broker.WSPath, " (MQTT over WebSocket, for web pages)"}} {
		if x.addr == "" {
			continue
		}
		fmt.Fprintf(ios.Err, "rtchat broker: listening on %s://%s%s%s\n", x.scheme, x.addr, x.path, x.what)
		_, port, _ := net.SplitHostPort(x.addr)
		if broker.IsWildcard(x.addr) {
			local = append(local, x.scheme+"://"+net.JoinHostPort("127.0.0.1", port)+x.path)
			if lan := lanIPs(); len(lan) > 0 {
				var urls []string
				for _, ip := range lan {
					urls = append(urls, x.scheme+"://"+net.JoinHostPort(ip, port)+x.path)
				}
				fmt.Fprintf(ios.Err, "rtchat broker:   from the LAN: %s\n", strings.Join(urls, ", "))
			}
		} else {
			local = append(local, x.scheme+"://"+x.addr+x.path)
		}
	}
	if len(local) > 0 {
		fmt.Fprintf(ios.Err, "rtchat broker: use it with --broker %s (or RTCHAT_BROKER=%s); Ctrl-C stops it\n", local[0], local[0])
	}
	switch {
	case users > 0:
		fmt.Fprintf(ios.Err, "rtchat broker: %d user(s) may log in (--auth)\n", users)
	case !isLoopback(b.TCPAddr()) || !isLoopback(b.WSAddr()):
		fmt.Fprintln(ios.Err, "rtchat broker: no --auth: anyone who can reach it may read and publish signaling (see rtchat broker --help)")
	}
}

// isLoopback reports whether a listener address is reachable from this machine only ("" =
// no listener).
func isLoopback(hostport string) bool {
	if hostport == "" {
		return true
	}
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// lanIPs lists this machine's non-loopback unicast IPv4 addresses, for hints only.
func lanIPs() []string {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	var ips []string
	for _, a := range addrs {
		n, ok := a.(*net.IPNet)
		if !ok || n.IP.To4() == nil || n.IP.IsLoopback() || n.IP.IsLinkLocalUnicast() {
			continue
		}
		ips = append(ips, n.IP.String())
		if len(ips) == 4 {
			break
		}
	}
	return ips
}
