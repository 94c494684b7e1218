package iceconf

import (
	"net"
)

// bindable reports whether a UDP socket can be bound to ip right now. pion's
// NewMultiUDPMuxFromPort gives up on the whole PeerConnection when one interface address
// cannot be bound, and an address can be listed but not bindable: an IPv6 address is
// "tentative" for a second or two after its interface comes up (duplicate address
// detection), and binding it fails with EADDRNOTAVAIL. That made a peer whose network had
// just come up (a fresh namespace, a Wi-Fi reconnect, a new VPN) fail to build its
// PeerConnection and silently never answer an offer (docs/network.md). Such addresses are
// left out; the others still carry host candidates.
func bindable(ip net.IP) bool {
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: ip, Zone: zoneOf(ip)})
	if err != nil {
		return false
	}
	_ = c.Close()
	return true
}

// zoneOf finds the interface of a link-local IPv6 address (the filter gets the address
// without its zone).
func zoneOf(ip net.IP) string {
	if ip.To4() != nil || !ip.IsLinkLocalUnicast() {
		return ""
	}
	ifs, err := net.Interfaces()
	if err != nil {
		return ""
	}
	for _, ifc := range ifs {
		addrs, err := ifc.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && n.IP.Equal(ip) {
				return ifc.Name
			}
		}
	}
	return ""
}
