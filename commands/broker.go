package commands

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rtchat/rtchat/rtc/broker"
)

// DefaultBrokerListen is where 'rtchat broker' listens for MQTT over TCP by default.
const DefaultBrokerListen = "127.0.0.1:1883"

func newBrokerCmd(g *Globals, ios *IO) *cobra.Command {
	var listen, ws string
	cmd := &cobra.Command{
		Use:   "broker [--listen ADDR] [--ws ADDR]",
		Short: "Run a small MQTT broker to self-host signaling (this machine or a LAN)",
		Long: `broker runs an embedded MQTT broker, so that rtchat peers (and RTChat web pages) can find
each other without a public broker: on one machine, on a LAN, or offline.

The broker only relays signaling (announcements, offers, answers, ICE candidates); chat and
data then flow directly between peers over WebRTC, end-to-end encrypted. Anyone who can reach
the broker may use any topic: there is no authentication, so listen only where you trust the
network.

--listen ADDR   MQTT over TCP (mqtt://), default 127.0.0.1:1883: this machine only.
                Use 0.0.0.0:1883 for the LAN, port 0 for any free port, "" for none.
--ws ADDR       also MQTT over WebSocket (ws://ADDR/mqtt), for web pages; off by default.

It prints its URLs on stderr (with --json also {"type":"listening","urls":[...]} on stdout)
and runs until interrupted (Ctrl-C or SIGTERM), then exits 0. Point the other commands at it
with --broker URL or RTCHAT_BROKER=URL; every rtchat and web page must use the same broker
and the same --room.`,
		Example: `  # one machine: a broker, a listener and a sender
  rtchat broker &
  RTCHAT_BROKER=mqtt://127.0.0.1:1883 rtchat listen
  RTCHAT_BROKER=mqtt://127.0.0.1:1883 rtchat send alice hello

  # a LAN: TCP for rtchat, WebSocket for browsers (HOST = this machine's LAN address)
  rtchat broker --listen 0.0.0.0:1883 --ws 0.0.0.0:8083
  rtchat --broker mqtt://HOST:1883 listen          # on another machine
  rtchat --broker ws://HOST:8083/mqtt listen       # the same broker, over WebSocket

  # scripts: pick free ports and read them back
  rtchat broker --listen 127.0.0.1:0 --json | jq -r '.urls[0]'`,
		Args: cobra.NoArgs,
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
			ctx := cmd.Context()
			b, err := broker.Start(ctx, broker.Options{TCP: listen, WS: ws, Logger: g.Log})
			if err != nil {
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
			printBrokerBanner(ios, b)
			<-ctx.Done()
			if g.Verbose {
				fmt.Fprintln(ios.Err, "rtchat broker: stopping")
			}
			return b.Close()
		},
	}
	cmd.Flags().StringVar(&listen, "listen", DefaultBrokerListen, `MQTT over TCP on HOST:PORT (0.0.0.0 = every interface, port 0 = any free port, "" = none)`)
	cmd.Flags().StringVar(&ws, "ws", "", "also MQTT over WebSocket on HOST:PORT, path /mqtt, for web pages (e.g. 0.0.0.0:8083)")
	return cmd
}

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
func printBrokerBanner(ios *IO, b *broker.Broker) {
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
