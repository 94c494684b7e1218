// SPDX-FileCopyrightText: 2026 The Pion community <https://pion.ly>
// SPDX-License-Identifier: MIT

//go:build !js

package ice

import (
	"net"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"
)

// A net.Addr type that parseAddr doesn't handle.
type unknownAddr struct{}

func (unknownAddr) Network() string { return "unknown" }
func (unknownAddr) String() string  { return "unknown-addr" }

func TestParseAddrFromIface_ErrFromParseAddr(t *testing.T) {
	in := unknownAddr{}
	ip, port, nt, err := parseAddrFromIface(in, "eth0")

	require.Error(t, err, "expected error from parseAddr for unknown net.Addr type")
	require.Zero(t, port)
	require.Zero(t, nt)
	require.True(t, !ip.IsValid(), "ip should be zero value when error is returned")
}

func TestParseAddr_ErrorBranches(t *testing.T) {
	t.Run("IPNet invalid IP -> error", func(t *testing.T) {
		// length 1 slice -> ipAddrToNetIP fails
		_, _, _, err := parseAddr(&net.IPNet{IP: net.IP{1}})
		var convErr ipConvertError
		require.ErrorAs(t, err, &convErr)
	})

	t.Run("IPAddr invalid IP -> error", func(t *testing.T) {
		_, _, _, err := parseAddr(&net.IPAddr{IP: net.IP{1}, Zone: "eth0"})
		var convErr ipConvertError
		require.ErrorAs(t, err, &convErr)
	})

	t.Run("UDPAddr invalid IP -> error", func(t *testing.T) {
		_, _, _, err := parseAddr(&net.UDPAddr{IP: net.IP{1}, Port: 3478})
		var convErr ipConvertError
		require.ErrorAs(t, err, &convErr)
	})

	t.Run("TCPAddr invalid IP -> error", func(t *testing.T) {
		_, _, _, err := parseAddr(&net.TCPAddr{IP: net.IP{1}, Port: 3478})
		var convErr ipConvertError
		require.ErrorAs(t, err, &convErr)
	})

	t.Run("Unknown net.Addr type -> addrParseError", func(t *testing.T) {
		_, _, _, err := parseAddr(unknownAddr{})
		var ap addrParseError
		require.ErrorAs(t, err, &ap)
	})
}

func TestParseAddr_IPAddr_Success(t *testing.T) {
	ip := net.ParseIP("fe80::1")
	require.NotNil(t, ip)

	gotIP, port, nt, err := parseAddr(&net.IPAddr{IP: ip, Zone: "lo0"})
	require.NoError(t, err)
	require.Equal(t, 0, port)
	require.Equal(t, NetworkType(0), nt)
	require.True(t, gotIP.Is6())
	require.Equal(t, "lo0", gotIP.Zone())
	require.Equal(t, 0, gotIP.Compare(netip.MustParseAddr("fe80::1%lo0").Unmap()))
}

func TestAddrParseError_Error(t *testing.T) {
	e := addrParseError{addr: &net.TCPAddr{}}
	require.Equal(t, "do not know how to parse address type *net.TCPAddr", e.Error())
}

func TestIPConvertError_Error(t *testing.T) {
	e := ipConvertError{ip: []byte("bad-ip")}
	require.Equal(t, "failed to convert IP 'bad-ip' to netip.Addr", e.Error())
}

func TestIPAddrToNetIP_Error_InvalidBytes(t *testing.T) {
	bad := []byte{1} // invalid length -> AddrFromSlice returns ok=false
	got, err := ipAddrToNetIP(bad, "")
	require.Equal(t, netip.Addr{}, got, "should return zero addr on error")
	require.Error(t, err)
	require.IsType(t, ipConvertError{}, err)
	require.Contains(t, err.Error(), "failed to convert IP")
}

func TestIPAddrToNetIP_OK_IPv4(t *testing.T) {
	ipv4 := []byte{1, 2, 3, 4}
	got, err := ipAddrToNetIP(ipv4, "")
	require.NoError(t, err)
	require.True(t, got.Is4())

	want := netip.AddrFrom4([4]byte{1, 2, 3, 4})
	require.Equal(t, want, got)
}

func TestAddrEqual_FirstParseError(t *testing.T) {
	a := unknownAddr{}
	b := &net.UDPAddr{IP: net.IPv4(1, 2, 3, 4), Port: 9999}

	require.False(t, addrEqual(a, b))
}

func TestAddrEqual_SecondParseError(t *testing.T) {
	a := &net.UDPAddr{IP: net.IPv4(1, 2, 3, 4), Port: 9999}
	b := unknownAddr{}

	require.False(t, addrEqual(a, b))
}

func TestAddrEqual_SameTypeIPPort(t *testing.T) {
	a := &net.UDPAddr{IP: net.IPv4(10, 0, 0, 1), Port: 4242}
	b := &net.UDPAddr{IP: net.IPv4(10, 0, 0, 1), Port: 4242}

	require.True(t, addrEqual(a, b))
}

func TestAddrPortEqual(t *testing.T) {
	mk := func(addr string, port uint16) netip.AddrPort {
		return netip.AddrPortFrom(netip.MustParseAddr(addr), port)
	}

	tests := []struct {
		name  string
		a, b  netip.AddrPort
		equal bool
	}{
		// Two zero values must NOT compare equal: a bare `a == b` would report
		// true here and silently treat unset addresses as matching.
		{name: "both zero values", a: netip.AddrPort{}, b: netip.AddrPort{}, equal: false},
		{name: "valid vs zero value", a: mk("1.2.3.4", 5), b: netip.AddrPort{}, equal: false},
		{name: "identical IPv4", a: mk("1.2.3.4", 5), b: mk("1.2.3.4", 5), equal: true},
		// IPv4 and its IPv4-in-IPv6 form are the same transport address.
		{name: "IPv4 vs IPv4-in-IPv6", a: mk("1.2.3.4", 5), b: mk("::ffff:1.2.3.4", 5), equal: true},
		{name: "different address", a: mk("1.2.3.4", 5), b: mk("1.2.3.5", 5), equal: false},
		{name: "different port", a: mk("1.2.3.4", 5), b: mk("1.2.3.4", 6), equal: false},
		{name: "identical IPv6", a: mk("2001:db8::1", 5), b: mk("2001:db8::1", 5), equal: true},
		// Zones only identify an interface for link-local addresses.
		{name: "link-local zone is significant", a: mk("fe80::1%eth0", 5), b: mk("fe80::1%eth1", 5), equal: false},
		{name: "matching link-local zone", a: mk("fe80::1%eth0", 5), b: mk("fe80::1%eth0", 5), equal: true},
		{name: "non-link-local zone is ignored", a: mk("2001:db8::1%eth0", 5), b: mk("2001:db8::1", 5), equal: true},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.equal, addrPortEqual(tt.a, tt.b))
			require.Equal(t, tt.equal, addrPortEqual(tt.b, tt.a), "addrPortEqual must be symmetric")
		})
	}
}

type embeddingUDPConnWrapper struct {
	*net.UDPConn
}

func (c *embeddingUDPConnWrapper) ReadFrom(b []byte) (int, net.Addr, error) {
	return c.UDPConn.ReadFrom(b)
}

func (c *embeddingUDPConnWrapper) WriteTo(b []byte, addr net.Addr) (int, error) {
	return c.UDPConn.WriteTo(b, addr)
}

func TestAsAddrPortReaderWriter(t *testing.T) {
	udpConn := &net.UDPConn{}
	require.NotNil(t, asAddrPortReaderWriter(udpConn))

	// Embedding *net.UDPConn promotes its UDP-specific AddrPort methods, but
	// must not implicitly opt the wrapper in to AddrPortReaderWriter.
	wrapper := &embeddingUDPConnWrapper{UDPConn: udpConn}
	require.Nil(t, asAddrPortReaderWriter(wrapper))
}

func TestIPAddressPrecedence(t *testing.T) {
	for _, tc := range []struct {
		addr       string
		precedence uint8
	}{
		{"192.0.2.1", addrPrecedenceIPv4},
		{"::ffff:192.0.2.1", addrPrecedenceIPv4},
		{"::1", addrPrecedenceIPv6Loopback},
		{"fd00::1", addrPrecedenceIPv6ULA},
		{"fd00::1%eth0", addrPrecedenceIPv6ULA},
		{"2001:db8::1", addrPrecedenceIPv6},
		{"fe80::1", addrPrecedenceIPv6},
		{"2002:c000:201::1", addrPrecedenceIPv6To4},
		{"2001:0:4136:e378::1", addrPrecedenceIPv6Teredo},
		{"::192.0.2.1", addrPrecedenceIPv6Legacy},
		{"fec0::1", addrPrecedenceIPv6Legacy},
		{"3ffe::1", addrPrecedenceIPv6Legacy},
	} {
		require.Equal(t, tc.precedence, ipAddressPrecedence(netip.MustParseAddr(tc.addr), NetworkTypeUDP4), tc.addr)
	}

	require.Equal(t, uint8(addrPrecedenceIPv4), ipAddressPrecedence(netip.Addr{}, NetworkTypeUDP4))
	require.Equal(t, uint8(addrPrecedenceIPv6), ipAddressPrecedence(netip.Addr{}, NetworkTypeTCP6))
}
